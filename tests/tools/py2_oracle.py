# ruff: noqa: UP032  (this file runs under Python 2.7, which has no f-strings)
"""Upstream's executor data for a job file, as upstream's own Python 2 client makes it.

A development tool, never run by the tests or CI (they have no Python 2): it writes
the strings committed under tests/fixtures/py2/. Run it with CPython 2.7 on a tree
made by py2_oracle_setup.sh (upstream's client sources at a tag, its thrift API
compiled to Python, and the client's pinned libraries):

    python2.7 tests/tools/py2_oracle.py TREE JOBFILE [JOBFILE...]

For each job of each file it prints one line: the `executorConfig.data` of the
JobConfiguration that upstream's `AuroraConfig(job).job()` builds (the standard
bindings, the interpolation and `filter_aliased_fields(...).json_dumps()` all
upstream's own code), or `# REJECTED: <reason>` when upstream refuses the file.
"""

import os
import sys


def _use_tree(tree):
    import site
    for sub in ('gen', os.path.join('src', 'main', 'python')):
        sys.path.insert(0, os.path.join(tree, sub))
    site.addsitedir(os.path.join(tree, 'lib'))      # its .pth files make `twitter.common`


def _one_line(error):
    return '{}: {}'.format(type(error).__name__, error).replace('\n', ' ')


def executor_data(path):
    """One line per job of `path`: its executor data, or why upstream rejects it."""
    from apache.aurora.config import AuroraConfig
    from apache.aurora.config.loader import AuroraConfigLoader

    try:
        env = AuroraConfigLoader.load(path)
    except Exception as error:          # upstream's client reports any of them
        return ['# REJECTED: ' + _one_line(error)]
    lines = []
    jobs = env.get('jobs', [])
    if not isinstance(jobs, list):
        return ['# REJECTED: jobs is not a list']
    for job in jobs:
        try:
            lines.append(AuroraConfig(job).job().taskConfig.executorConfig.data)
        except Exception as error:
            lines.append('# REJECTED: ' + _one_line(error))
    return lines or ['# REJECTED: no jobs']


def main(argv):
    _use_tree(argv[1])
    for path in argv[2:]:
        for line in executor_data(os.path.abspath(path)):
            sys.stdout.write(line + '\n')

if __name__ == '__main__':
    main(sys.argv)
