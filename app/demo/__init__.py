"""Two demo territories with realistic French content: a coastal town (La Ciotat) and a ski
resort (Montgenèvre), with polls their citizens have answered. ``flask demo load`` runs
``app.demo.load.load_demo``; it is idempotent (an existing demo territory is kept unless
``reset``) and deterministic (``random.Random(42)``), but for the poll answers' ballot keys, which
are random as a browser's are.

Demo accounts, in each territory, password ``territoire-demo-2026``:
citoyen@, commercant@, president@ and admin@demo.territory."""
