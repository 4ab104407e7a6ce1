"""`python -m infercost` runs the command-line interface.

CLI layer (__main__).
"""

from infercost.cli import main

if __name__ == "__main__":
    main()
