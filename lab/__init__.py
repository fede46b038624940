"""lab: measure the performance patterns of data systems instead of asserting them."""

__all__ = ["__version__"]
__version__ = "0.1.0"
