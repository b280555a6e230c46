from genai_cost.cli import main

raise SystemExit(main())
