"""The metrics contract: model, loader, naming rules, checks."""
