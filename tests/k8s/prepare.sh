#!/usr/bin/env bash
# Builds whatever the cluster needs and is missing, with progress: the project
# (scripts/setup.sh), the pinned Kubernetes components (build.sh, cached outside the repository)
# and the pod images (images/build-images.sh). Called by scripts/k8s-e2e.sh and the pod-start
# benchmark; quick when everything is built.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

step "build 1/3: Alcor CNI (scripts/setup.sh)"
"$REPO_DIR/scripts/setup.sh"

step "build 2/3: Kubernetes $K8S_VERSION components (tests/k8s/build.sh)"
"$K8S_DIR/build.sh"

step "build 3/3: pod images (tests/k8s/images/build-images.sh)"
"$K8S_DIR/images/build-images.sh" "$IMAGES_DIR"
(cd "$IMAGES_DIR" && ls *.tar | tr '\n' ' ' | sed 's/^/   /; s/ $/\n/')
