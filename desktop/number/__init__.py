"""The Number tab: write a whole number and watch the active model read it digit by digit."""
