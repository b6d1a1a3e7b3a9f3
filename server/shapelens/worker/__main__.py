from shapelens.worker.main import main

raise SystemExit(main())
