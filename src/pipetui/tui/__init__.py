"""The Textual front door: screens and widgets only; rules live in ``pipetui.core``."""
