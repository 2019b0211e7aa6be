"""The two directories (两库): inspection subjects and inspectors, conflicts and risk flags."""
