"""Speed and memory figures for ilupa, reported as ratios."""
