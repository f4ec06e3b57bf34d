"""One poem on paper: its page layout and the PDF writer."""
