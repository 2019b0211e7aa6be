"""The hash-chained, append-only audit trail (全程留痕、流程可溯)."""
