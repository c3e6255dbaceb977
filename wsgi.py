import gc

from mes_web import create_app

app = create_app()
# What the app built at start-up lives as long as the process: keep it out of every garbage
# collection, which otherwise shows as pauses in the board's slowest renders.
gc.freeze()
