#pragma once

// Faithful recreation of a hand-started container (`docker run --label berth.enable=true ...`) from what
// `docker inspect` shows, with a new image. Pure: the swap engine inspects, pulls, creates, connects and
// starts; this file only decides what to send.
//
// Inspect returns the container's configuration merged with its image's defaults, plus operational data.
// The plan undoes both:
// - The OLD image's defaults are subtracted (the image inspected by the container's `Image` id, never by
//   tag, since after a pull the tag names the new image): Env entries and Labels equal to the image's,
//   the image's Volumes and ExposedPorts (ports published in PortBindings are exposed again), Cmd and
//   Entrypoint when they are the image's, WorkingDir, User, StopSignal, Shell and OnBuild when equal,
//   and each Healthcheck field equal to the image's. The new image's defaults then apply. Labels named
//   `berth.*` always stay: they are how the user asked berth to manage the container.
// - An Entrypoint the user reset (`--entrypoint ""`) is sent as [""] so the new image's is not applied.
// - Hostname is dropped when the daemon chose it: the short id, the host's name in `host` network mode;
//   always in `container:` network mode and with `--uts host`, where the daemon refuses a hostname.
// - In `container:<id>` network mode, what the daemon refuses there is dropped (ExposedPorts merged from
//   the image, PortBindings, PublishAllPorts, Dns*, ExtraHosts, Links, MacAddress) and no endpoint is
//   configured. The target id is kept.
// - Legacy links, shown as "/other:/this/alias", are rewritten to "other:alias".
// - Networks: one endpoint at create (the network of NetworkMode: API < 1.44 accepts only one), every
//   other network is a connection to make after create and before start. Only configuration is copied
//   (IPAMConfig with static addresses, Aliases without the old short id, Links, DriverOpts, a pinned
//   MacAddress, GwPriority); addresses, gateways, ids and DNSNames are not.
// - MacAddress: kept only when the user pinned it (the policy is explained at engine_generated_mac in
//   recreate_attachments.cpp); container-wide below API 1.44, on the endpoint from 1.44.
// - Anonymous volumes (top-level Mounts of type volume with a 64-hex name, at a path the old image or
//   the user declared as a VOLUME, or an anonymous `--mount type=volume`) are carried over by name, as
//   docker compose does, so the data stays. Named volumes and binds are copied as given.
// - Operational HostConfig fields (ContainerIDFile, ConsoleSize) are dropped, and so are MaskedPaths and
//   ReadonlyPaths when they hold the engine's defaults (the engine of the new container applies its own;
//   an empty list, from `--security-opt systempaths=unconfined`, is kept); everything else in HostConfig
//   (restart policy, log config, resources, capabilities, devices, ...) is copied.
// - Config.Image is the user's reference, new_image_ref, never an image id.
//
// Refusals (ErrorKind::kInvalidArgument, "cannot recreate container NAME: REASON"):
// - AutoRemove (`--rm`): the old container disappears when stopped, so there is nothing to roll back to.
// - Config.Image is an image id (full, "sha256:...", or a short id prefix): there is no reference to
//   follow. Config.Image pinned by digest ("name@sha256:..."): there is nothing to update.
// - new_image_ref is empty, not a reference, or an image id.
// - old_image_inspect is not the image the container runs (its Id differs from the container's Image).
// - The container belongs to a Docker Swarm task: Swarm recreates it, not berth.
// - A setting the negotiated API version cannot express, since the daemon would drop it silently:
//   HostConfig.Annotations (1.43), Healthcheck.StartInterval (1.44), mount options ReadOnlyNonRecursive
//   and ReadOnlyForceRecursive (1.44), VolumeOptions.Subpath (1.45), TmpfsOptions.Options (1.46),
//   an endpoint's GwPriority (1.48).
// - A legacy link in a form Docker does not report, or a container connected to no network at all
//   while its NetworkMode names one (recreating it would connect it again).
// - An inspect that is not a container inspect (no Id, Config or HostConfig; fields of the wrong type).
//
// Warnings (the plan is still made): host ports chosen by Docker (the new container gets new ones),
// `container:` namespaces (the target must not be recreated without this container), a NetworkMode
// network the container was disconnected from, a pinned MAC on a secondary network below API 1.44,
// docker compose labels carried over, a digest-pinned new_image_ref (berth will not update it again).

#include "common/error.hpp"
#include "docker/api_version.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace berth::swap {

// A network the new container joins after create and before start: POST /networks/{network}/connect
// {"Container": <new id>, "EndpointConfig": endpoint_config}.
struct NetworkConnection {
  std::string network;  // the network's name
  nlohmann::json endpoint_config = nlohmann::json::object();
};

struct RecreatePlan {
  // The body of POST /containers/create: Config fields at the top, plus HostConfig and
  // NetworkingConfig {"EndpointsConfig": {...}} with at most one endpoint.
  nlohmann::json create_body = nlohmann::json::object();
  // In order, after create.
  std::vector<NetworkConnection> connections;
  // For the user: what the new container will not have exactly as the old one did.
  std::vector<std::string> warnings;
};

// container_inspect: GET /containers/{id}/json of the container to replace.
// old_image_inspect: GET /images/{id}/json of the image it runs, by the container's `Image` id.
// new_image_ref: the reference the new container is created from (usually the old Config.Image, whose
// tag now names the pulled image).
// api: the API version the create and connect calls will speak.
common::Result<RecreatePlan> plan_recreate(const nlohmann::json& container_inspect,
                                           const nlohmann::json& old_image_inspect, const std::string& new_image_ref,
                                           docker::ApiVersion api);

}  // namespace berth::swap
