from shapelens.cli import main

raise SystemExit(main())
