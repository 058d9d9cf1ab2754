"""dadkhah: evidence-grade collection of human-rights news articles."""

__version__ = "0.1.0"
