"""The My Handwriting tab: the drawings the user labelled (kept in SQLite), and fine-tuning."""
