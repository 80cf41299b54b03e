"""The built-in audit rules, one module per concern; each rule has a page in docs/rules/."""
