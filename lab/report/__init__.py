"""Reports computed from measurement records; nothing here runs a system."""

from lab.report.summary import SummaryRow, summarize, to_markdown

__all__ = ["SummaryRow", "summarize", "to_markdown"]
