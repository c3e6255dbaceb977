"""gunicorn config file for bench/aggregate.py; deliberately (almost) empty.

bench/aggregate.py passes it with --config to both apps, so that neither picks up the repository's
production ./gunicorn.conf.py. gunicorn reads ./gunicorn.conf.py from the directory it --chdir's
to, so it would apply to our app but not to the floor app (which runs from bench/), and the two
would differ (an access log line on stdout per request for ours only, for one). Every setting the
benchmark uses is on the command line instead, where bench/aggregate.py prints it.
"""
