"""`python -m infercost` runs the command-line interface."""

from infercost.cli import main

if __name__ == "__main__":
    main()
