"""Export: PDF through Qt's own writer."""
