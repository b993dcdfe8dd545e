#!/usr/bin/env bash
# Captures the inspect fixtures of tests/unit/swap/recreate_test.cpp from the real Docker Engine of the
# test environment (scripts/test-env). Everything it makes carries the label berth.test=recreate-capture
# or a berth-capture- name, and is removed at the end.
#   tests/data/recreate/capture.sh [OUT-DIR]
set -euo pipefail

out=${1:-$(cd "$(dirname "$0")" && pwd)}
env_file=${BERTH_TEST_ENV_FILE:-/var/tmp/berth-test/env}
rootfs=$(sed -n 's/^BERTH_TEST_ROOTFS_TAR=//p' "$env_file")
[[ -s $rootfs ]] || { echo "no BERTH_TEST_ROOTFS_TAR in $env_file: run scripts/test-env" >&2; exit 1; }

label=(--label berth.test=recreate-capture)
web=registry.example.com/acme/web:1.4
tool=registry.example.com/acme/tool:2

cleanup() {
  docker ps -aq --filter label=berth.test=recreate-capture | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker network rm berth-capture-front berth-capture-back >/dev/null 2>&1 || true
  docker volume rm berth-capture-data >/dev/null 2>&1 || true
  docker volume ls -q --filter label=berth.capture=anonymous | xargs -r docker volume rm >/dev/null 2>&1 || true
  docker rmi "$web" "$tool" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

# The image of most fixtures: ENV, LABEL (one of them berth's own), VOLUME, WORKDIR, EXPOSE, HEALTHCHECK, CMD.
docker import --change 'ENV A=1' --change 'ENV B=image' --change 'LABEL x=y' --change 'LABEL berth.enable=true' \
  --change 'VOLUME /data' --change 'WORKDIR /www' --change 'EXPOSE 80/tcp' \
  --change 'HEALTHCHECK --interval=5s --timeout=3s --retries=4 CMD test -d /www' \
  --change 'CMD ["sh","-c","trap \"exit 0\" TERM; sleep 100000 & wait"]' "$rootfs" "$web" >/dev/null
# An image with an ENTRYPOINT.
docker import --change 'ENTRYPOINT ["sh","-c"]' --change 'CMD ["sleep 100000"]' "$rootfs" "$tool" >/dev/null

docker network create "${label[@]}" --subnet 172.31.252.0/24 berth-capture-front >/dev/null
docker network create "${label[@]}" berth-capture-back >/dev/null

# web: what a user starts by hand, with most options, on two user networks.
docker run -d "${label[@]}" --name berth-capture-web --label team=shop --label berth.probe=http://:8080/ \
  -e A=override -e C=user -p 127.0.0.1::80 -p 127.0.0.1:18080:8080 --expose 9000 \
  -v berth-capture-data:/named -v /tmp:/hostbind:ro -v /cache \
  --network berth-capture-front --ip 172.31.252.10 --network-alias web \
  --restart on-failure:3 --log-driver json-file --log-opt max-size=1m --log-opt max-file=2 \
  --health-cmd 'wget -q -O /dev/null http://localhost/ || exit 1' --health-interval 7s \
  --dns 127.0.0.53 --add-host db.internal:127.0.0.1 --cap-add NET_ADMIN --memory 64m \
  "$web" >/dev/null
docker network connect --alias api berth-capture-back berth-capture-web
# db, then linker: a legacy --link on the default bridge.
docker run -d "${label[@]}" --name berth-capture-db "$web" >/dev/null
docker run -d "${label[@]}" --name berth-capture-linker --link berth-capture-db:db "$web" >/dev/null
# sidecar: in db's network namespace.
docker run -d "${label[@]}" --name berth-capture-sidecar --network container:berth-capture-db "$web" >/dev/null
# hostnet: on the host's network.
docker run -d "${label[@]}" --name berth-capture-hostnet --network host "$web" sleep 100000 >/dev/null
# mounts: anonymous volume through --mount, tmpfs, read-only bind.
docker run -d "${label[@]}" --name berth-capture-mounts --mount type=volume,target=/scratch \
  --mount type=tmpfs,target=/run/t --mount type=bind,source=/tmp,target=/ro,readonly "$web" >/dev/null
# tool: its entrypoint reset with --entrypoint "".
docker run -d "${label[@]}" --name berth-capture-tool --entrypoint "" "$tool" sleep 100000 >/dev/null
# mac: a MAC address the user pinned (through the API: the CLI wants API 1.44 for --mac-address).
curl -sS -f --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' -o /dev/null \
  -d "{\"Image\":\"$web\",\"Labels\":{\"berth.test\":\"recreate-capture\"},\"MacAddress\":\"92:d0:c6:0a:29:33\"}" \
  'http://localhost/v1.41/containers/create?name=berth-capture-mac'
docker start berth-capture-mac >/dev/null

sleep 1
for name in web db linker sidecar hostnet mounts tool mac; do
  docker inspect "berth-capture-$name" | python3 -c 'import json, sys; json.dump(json.load(sys.stdin)[0], sys.stdout, indent=2)' \
    >"$out/$name.container.json"
done
docker image inspect "$web" | python3 -c 'import json, sys; json.dump(json.load(sys.stdin)[0], sys.stdout, indent=2)' \
  >"$out/web.image.json"
docker image inspect "$tool" | python3 -c 'import json, sys; json.dump(json.load(sys.stdin)[0], sys.stdout, indent=2)' \
  >"$out/tool.image.json"
# The stopped web: its endpoints keep their configuration but lose their addresses.
docker stop -t 1 berth-capture-web >/dev/null
docker inspect berth-capture-web | python3 -c 'import json, sys; json.dump(json.load(sys.stdin)[0], sys.stdout, indent=2)' \
  >"$out/web-stopped.container.json"
# Anonymous volumes of the containers above, for cleanup.
for name in web db linker sidecar hostnet mounts tool mac; do
  docker inspect "berth-capture-$name" --format '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}'
done | tr ' ' '\n' | grep -E '^[0-9a-f]{64}$' >"$out/.anonymous-volumes" || true
docker ps -aq --filter label=berth.test=recreate-capture | xargs -r docker rm -f >/dev/null
xargs -r docker volume rm <"$out/.anonymous-volumes" >/dev/null 2>&1 || true
rm -f "$out/.anonymous-volumes"
echo "fixtures written to $out"
