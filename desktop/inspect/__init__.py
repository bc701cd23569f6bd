"""The Inspect tab: the confusion matrix, what the first layer learned, a drawing's path."""
