"""Working days: the State Council schedule (chinesecalendar) plus the bureau's overrides."""
