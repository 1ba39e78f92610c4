import sys

from airfleet.cli import main

sys.exit(main())
