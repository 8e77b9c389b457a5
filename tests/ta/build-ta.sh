#!/bin/sh
# SPDX-License-Identifier: MIT
#
# build-ta.sh TREE KIT OBJDIR OUT: builds the OP-TEE-style TA tree TREE (its
# ta/ folder) with the dev kit KIT the way a TA author does,
#   make -C TREE/ta TA_DEV_KIT_DIR=KIT O=OBJDIR
# and copies the one deliverable, OBJDIR/<uuid>.ta, to OUT (named <uuid>.ta).
# For meson's custom_target: make decides what is out of date.
set -eu

[ $# -eq 4 ] || { echo "usage: $0 TREE KIT OBJDIR OUT" >&2; exit 2; }
tree=$1 kit=$2 obj=$3 out=$4
mkdir -p "$obj"
# LDFLAGS cleared as optee_examples' and optee_test's makefiles do: host link
# flags have no business in a TA
${MAKE:-make} -C "$tree/ta" --no-print-directory TA_DEV_KIT_DIR="$kit" O="$obj" LDFLAGS=
cp "$obj/$(basename "$out")" "$out"
