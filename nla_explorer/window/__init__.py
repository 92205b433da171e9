"""The main window's collaborators, each given what it needs by ``main_window.MainWindow``:
``chrome`` (the graph toolbar, presentation mode), ``export`` (File ▸ Export), ``help`` (tour,
shortcuts, examples), ``preferences`` (theme, preferences), ``recent`` (recent files), ``runs``
(Run as Python: consent, cells, output) and ``training`` (Train's graph on demand)."""
