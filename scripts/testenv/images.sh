# shellcheck shell=bash
# Registry access with curl, and the test images. Sourced by scripts/test-env after its settings
# (ports, credentials, REPO, D, CA).

# `use_target KIND REPO` sets base_url and auth_args for one repository.

token_for() { # token_for REPO ACTIONS [USER]: prints a bearer token from the token server
  local creds=()
  [[ -n ${3:-} ]] && creds=(-u "$3:$PASSWORD")
  curl -sS -f --max-time 10 --cacert "$CA" "${creds[@]}" \
    "https://127.0.0.1:$PORT_TOKEN_SERVER/token?service=$TOKEN_SERVICE&scope=repository:$1:$2" |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

use_target() {
  local kind=$1 repo=$2 token
  case $kind in
    plain)
      base_url=http://127.0.0.1:$PORT_PLAIN
      auth_args=()
      ;;
    basic)
      base_url=https://127.0.0.1:$PORT_BASIC
      auth_args=(--cacert "$CA" -u "$USER_NAME:$PASSWORD")
      ;;
    token)
      base_url=https://127.0.0.1:$PORT_TOKEN
      token=$(token_for "$repo" pull,push "$USER_NAME")
      auth_args=(--cacert "$CA" -H "Authorization: Bearer $token")
      ;;
  esac
}

manifest_status() { # manifest_status REPO REF: HTTP status of a HEAD (needs use_target)
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 -I "${auth_args[@]}" -H "Accept: $ACCEPT_ALL" \
    "$base_url/v2/$1/manifests/$2" || true
}

push_blob() { # push_blob REPO FILE: monolithic upload unless the blob is there already
  local repo=$1 file=$2 digest location sep
  digest=sha256:$(sha256sum "$file" | cut -d' ' -f1)
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -I "${auth_args[@]}" \
    "$base_url/v2/$repo/blobs/$digest") == 200 ]] && return 0
  location=$(curl -sS -f --max-time 10 -X POST -D - -o /dev/null "${auth_args[@]}" \
    "$base_url/v2/$repo/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  [[ -n $location ]] || die "no upload location from $base_url for $repo"
  [[ $location == /* ]] && location=$base_url$location
  sep='?'
  [[ $location == *\?* ]] && sep='&'
  curl -sS -f --max-time 60 -o /dev/null -X PUT "${auth_args[@]}" \
    -H 'Content-Type: application/octet-stream' --data-binary "@$file" "$location${sep}digest=$digest"
}

put_manifest() { # put_manifest REPO REF MEDIATYPE FILE: prints the HTTP status
  curl -sS -o "$D/images/put-response" -w '%{http_code}' --max-time 30 -X PUT "${auth_args[@]}" \
    -H "Content-Type: $3" --data-binary "@$4" "$base_url/v2/$1/manifests/$2" || true
}

# ---------------------------------------------------------------------------------------------
# Images.

TARGETS=("plain $REPO" "basic $REPO" "token public/web" "token private/web")

target_ref() { # target_ref KIND REPO TAG
  local port
  case $1 in plain) port=$PORT_PLAIN ;; basic) port=$PORT_BASIC ;; token) port=$PORT_TOKEN ;; esac
  echo "127.0.0.1:$port/$2:$3"
}

images_present() {
  local target kind repo tag
  [[ -s $D/images/version && $(<"$D/images/version") == "$IMAGES_VERSION" ]] || return 1
  for target in "${TARGETS[@]}"; do
    read -r kind repo <<<"$target"
    use_target "$kind" "$repo"
    for tag in "${TAGS[@]}" arm64 multi; do
      [[ $(manifest_status "$repo" "$tag") == 200 ]] || return 1
    done
    if [[ $(<"$D/images/oci-index") == accepted ]]; then
      [[ $(manifest_status "$repo" multi-oci) == 200 ]] || return 1
    fi
  done
}

tar_dir() { # tar_dir DIR: a reproducible tar of DIR on stdout
  tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -c .
}

build_rootfs() {
  local r=$D/images/rootfs applet
  rm -rf "$r"
  mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root" "$r/www"
  cp /bin/busybox "$r/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [[ $applet == busybox ]] || ln -s busybox "$r/bin/$applet"
  done
  chmod 1777 "$r/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  tar_dir "$r" >"$D/images/rootfs.tar"
}

# variant_dir TEXT: a copy of the rootfs whose /www serves TEXT; prints its path.
variant_dir() {
  local v=$D/images/variant-$1
  rm -rf "$v"
  cp -a "$D/images/rootfs" "$v"
  printf '%s' "$1" >"$v/www/index.html"
  printf '%s' "$1" >"$v/www/version"
  printf 'ok' >"$v/www/health"
  echo "$v"
}

# The shell as PID 1 with a TERM trap: `docker stop` ends the container at once instead of
# waiting for the kill after the grace period (busybox httpd as PID 1 ignores SIGTERM).
SERVE="httpd -f -p 80 -h /www & wait"
cmd_json() { printf '["sh","-c","trap '"'"'exit 0'"'"' TERM INT; %s"]' "$1"; }

import_image() { # import_image TAG CMD-SHELL-TEXT
  local dir
  dir=$(variant_dir "$1")
  tar_dir "$dir" | docker import --change "CMD $(cmd_json "$2")" --change 'EXPOSE 80/tcp' \
    - "$REPO:$1" >/dev/null
  rm -rf "$dir"
}

# The arm64 image is written to the registries directly: Debian's dockerd ignores
# `docker import --platform`. Its layer is the rootfs (with an amd64 busybox: it is never run).
build_arm64_blobs() {
  local dir=$D/images/arm64 v diff_id layer_digest config_digest
  rm -rf "$dir"
  mkdir -p "$dir"
  v=$(variant_dir arm64)
  tar_dir "$v" >"$dir/layer.tar"
  rm -rf "$v"
  diff_id=sha256:$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
  gzip -n -9 <"$dir/layer.tar" >"$dir/layer.tar.gz"
  rm -f "$dir/layer.tar"
  layer_digest=sha256:$(sha256sum "$dir/layer.tar.gz" | cut -d' ' -f1)
  printf '{"architecture":"arm64","variant":"v8","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Cmd":%s,"ExposedPorts":{"80/tcp":{}},"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"rootfs":{"type":"layers","diff_ids":["%s"]},"history":[{"created":"1970-01-01T00:00:00Z","comment":"berth test image"}]}' \
    "$(cmd_json "$SERVE")" "$diff_id" >"$dir/config.json"
  config_digest=sha256:$(sha256sum "$dir/config.json" | cut -d' ' -f1)
  printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%s,"digest":"%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%s,"digest":"%s"}]}' \
    "$MT_MANIFEST" "$(stat -c %s "$dir/config.json")" "$config_digest" \
    "$(stat -c %s "$dir/layer.tar.gz")" "$layer_digest" >"$dir/manifest.json"
}

# index_json MEDIATYPE AMD64-MANIFEST-FILE ARM64-MANIFEST-FILE
index_json() {
  printf '{"schemaVersion":2,"mediaType":"%s","manifests":[' "$1"
  printf '{"mediaType":"%s","size":%s,"digest":"sha256:%s","platform":{"architecture":"amd64","os":"linux"}},' \
    "$MT_MANIFEST" "$(stat -c %s "$2")" "$(sha256sum "$2" | cut -d' ' -f1)"
  printf '{"mediaType":"%s","size":%s,"digest":"sha256:%s","platform":{"architecture":"arm64","os":"linux","variant":"v8"}}' \
    "$MT_MANIFEST" "$(stat -c %s "$3")" "$(sha256sum "$3" | cut -d' ' -f1)"
  printf ']}'
}

docker_login() {
  local cfg=$D/docker-config port
  mkdir -p "$cfg"
  for port in "$PORT_BASIC" "$PORT_TOKEN"; do
    printf '%s\n' "$PASSWORD" | DOCKER_CONFIG=$cfg docker login "127.0.0.1:$port" \
      -u "$USER_NAME" --password-stdin >/dev/null 2>"$D/images/login.err" ||
      die "docker login 127.0.0.1:$port failed: $(cat "$D/images/login.err")"
  done
}

docker_push() { # docker_push REF
  local out
  out=$(DOCKER_CONFIG=$D/docker-config docker push "$1" 2>&1) || die "docker push $1 failed: $out"
}

ensure_certs_d() {
  local host dir
  for host in "127.0.0.1:$PORT_BASIC" "127.0.0.1:$PORT_TOKEN" "127.0.0.1:$PORT_TOKEN_SERVER" "$ECR_HOST:$PORT_ECR" \
    "$ECR_REALM_HOST:$PORT_TOKEN_SERVER"; do
    dir=/etc/docker/certs.d/$host
    if ! cmp -s "$CA" "$dir/ca.crt"; then
      mkdir -p "$dir"
      cp "$CA" "$dir/ca.crt"
    fi
  done
}

ensure_images() {
  local target kind repo tag ref status
  mkdir -p "$D/images"
  [[ -s $D/images/oci-index ]] || echo unknown >"$D/images/oci-index"
  if [[ -s $D/images/rootfs.tar ]] && images_present; then
    say "test images present in every registry"
    return 0
  fi
  say "building the test images"
  build_rootfs
  for tag in v1 v2 v3; do
    import_image "$tag" "$SERVE"
  done
  import_image broken 'sleep 100000 & wait'
  # shellcheck disable=SC2016 # expanded by the container's shell at start
  import_image slow 'sleep ${SLOW_SECONDS:-6} & wait; '"$SERVE"
  build_arm64_blobs
  docker_login
  local oci=accepted
  for target in "${TARGETS[@]}"; do
    read -r kind repo <<<"$target"
    ref=$(target_ref "$kind" "$repo" "")
    say "pushing to ${ref%:}"
    for tag in "${TAGS[@]}"; do
      ref=$(target_ref "$kind" "$repo" "$tag")
      docker tag "$REPO:$tag" "$ref"
      docker_push "$ref"
      docker rmi "$ref" >/dev/null
    done
    use_target "$kind" "$repo"
    push_blob "$repo" "$D/images/arm64/layer.tar.gz"
    push_blob "$repo" "$D/images/arm64/config.json"
    status=$(put_manifest "$repo" arm64 "$MT_MANIFEST" "$D/images/arm64/manifest.json")
    [[ $status == 201 ]] || die "PUT arm64 manifest to $base_url/$repo: $status $(cat "$D/images/put-response")"
    # The amd64 entry is v1's manifest exactly as the registry stores it.
    curl -sS -f --max-time 10 "${auth_args[@]}" -H "Accept: $MT_MANIFEST" \
      -o "$D/images/v1.json" "$base_url/v2/$repo/manifests/v1"
    grep -q "\"mediaType\": *\"$MT_MANIFEST\"" "$D/images/v1.json" ||
      die "v1 in $base_url/$repo is not a $MT_MANIFEST"
    index_json "$MT_LIST" "$D/images/v1.json" "$D/images/arm64/manifest.json" >"$D/images/multi.json"
    status=$(put_manifest "$repo" multi "$MT_LIST" "$D/images/multi.json")
    [[ $status == 201 ]] || die "PUT manifest list to $base_url/$repo: $status $(cat "$D/images/put-response")"
    index_json "$MT_OCI_INDEX" "$D/images/v1.json" "$D/images/arm64/manifest.json" >"$D/images/multi-oci.json"
    status=$(put_manifest "$repo" multi-oci "$MT_OCI_INDEX" "$D/images/multi-oci.json")
    if [[ $status != 201 ]]; then
      warn "the registry refuses an OCI index ($status $(cat "$D/images/put-response")); no multi-oci tag"
      oci=refused
    fi
  done
  echo "$oci" >"$D/images/oci-index"
  echo "$IMAGES_VERSION" >"$D/images/version"
}

digest_of() { # digest_of TAG: the manifest digest in the plain registry
  curl -sS -f -I --max-time 10 -H "Accept: $ACCEPT_ALL" \
    "http://127.0.0.1:$PORT_PLAIN/v2/$REPO/manifests/$1" |
    tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
