"""The plug-in interfaces under the names AIFlow's documentation uses."""

__all__: list[str] = []
