"""``python -m hrhsearch`` and the ``hrhsearch`` command: the command line, in a process set up to
start quickly (``lightstart``) before anything imports Whoosh or the records' dataclasses."""


def run() -> None:
    from . import lightstart

    lightstart.install()
    from .cli import main

    try:
        main()
    finally:
        lightstart.before_exit()


if __name__ == "__main__":
    run()
