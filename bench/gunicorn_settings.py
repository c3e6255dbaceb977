"""gunicorn config file for the benchmarks in bench/ (aggregate.py, station.py); deliberately (almost) empty.

bench/harness.py passes it with --config to every app it starts, so that none picks up the
repository's production ./gunicorn.conf.py. gunicorn reads ./gunicorn.conf.py from the directory it
--chdir's to, so it would apply to our app but not to the floor app (which runs from bench/), and
the two would differ (an access log line on stdout per request for ours only, for one). Every
setting the benchmarks use is on the command line instead, where they print it.
"""
