"""DigitLab's desktop application: thin PySide6 views over the `nn` engine."""
