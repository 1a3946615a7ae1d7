#!/bin/sh
# Make the tree tests/tools/py2_oracle.py runs upstream's client from (a development
# tool: never run by the tests or CI). Needs git, python2.7 with pip, and the thrift
# compiler (Debian: thrift-compiler).
#
#   sh tests/tools/py2_oracle_setup.sh UPSTREAM_GIT_DIR TREE [REF]
#
# REF defaults to rel/0.22.0. The libraries are those upstream's 3rdparty
# requirements pin at 0.22 (pystachio 0.8.5, twitter.common 0.3.9); the thrift
# runtime is 0.13.0, the oldest that runs code from today's compiler under Python 2.
set -eu
git_dir=$1
tree=$2
ref=${3:-rel/0.22.0}
python2=${PYTHON2:-python2.7}

mkdir -p "$tree/gen"
git --git-dir="$git_dir" archive "$ref" src/main/python api/src/main/thrift | tar -x -C "$tree"
thrift --gen py -out "$tree/gen" "$tree/api/src/main/thrift/org/apache/aurora/gen/api.thrift"
cd "$tree" && "$python2" -m pip install -q --target lib pystachio==0.8.5 \
  twitter.common.lang==0.3.9 twitter.common.dirutil==0.3.9 thrift==0.13.0
