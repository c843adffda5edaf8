#!/usr/bin/env bash
# ansible-test sanity for the collection (make sanity): scripts/ansible_test.sh sanity, which explains it.
#
#   scripts/sanity.sh [extra ansible-test sanity args, e.g. --test pep8]
exec "$(dirname "${BASH_SOURCE[0]}")/ansible_test.sh" sanity "$@"
