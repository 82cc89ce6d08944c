// The packaging rules of issue 9, checked on the rendered manifests (k8s_manifests.cjs policy).
// Each rule says why it matters; a failure names the object and the rule.
"use strict";

function find(objects, kind, name) {
  return objects.find((o) => o.kind === kind && o.metadata && o.metadata.name === name);
}

function containerOf(podSpec, name) {
  return [...(podSpec.initContainers || []), ...(podSpec.containers || [])].find((c) => c.name === name);
}

function execProbe(probe) {
  return probe && probe.exec && probe.exec.command ? probe.exec.command.join(" ") : "";
}

function checkPolicy(objects) {
  const errors = [];
  const need = (cond, msg) => cond || errors.push(msg);

  // One namespace, allowed to run privileged pods.
  const ns = find(objects, "Namespace", "alcor-system");
  need(ns, "Namespace alcor-system missing");
  if (ns) {
    need((ns.metadata.labels || {})["pod-security.kubernetes.io/enforce"] === "privileged",
      "Namespace alcor-system must allow privileged pods (pod-security enforce=privileged)");
  }
  for (const o of objects) {
    const cluster = ["Namespace", "ClusterRole", "ClusterRoleBinding"].includes(o.kind);
    need(cluster || o.metadata.namespace === "alcor-system",
      `${o.kind}/${o.metadata.name} must be in namespace alcor-system`);
  }

  // RBAC: exactly what docs/security.md grants, nothing more; no wildcards. The agent reads
  // pods, namespaces, nodes and the CA ConfigMap and creates events on its node; the controller
  // reviews tokens, writes the CA ConfigMap, lists and watches NetworkPolicies, pods and
  // namespaces and creates events on the policies. A verb or resource outside this list fails.
  const granted = {
    "ClusterRole/alcor-agent": [
      { resources: ["pods", "namespaces", "nodes"], verbs: ["get"] },
      { resources: ["events"], verbs: ["create"] },  // HostAccessRefused on its node
    ],
    "Role/alcor-agent": [{ resources: ["configmaps"], verbs: ["get"], names: ["alcor-ca"] }],
    "ClusterRole/alcor-controller": [
      { resources: ["tokenreviews"], verbs: ["create"] },
      { resources: ["networkpolicies", "pods", "namespaces"], verbs: ["list", "watch"] },  // NetworkPolicy
      { resources: ["events"], verbs: ["create"] },  // PolicyNotRealized on the policy
    ],
    "Role/alcor-controller": [
      { resources: ["configmaps"], verbs: ["create"] },
      { resources: ["configmaps"], verbs: ["get", "update"], names: ["alcor-ca"] },
    ],
  };
  for (const o of objects.filter((x) => x.kind === "ClusterRole" || x.kind === "Role")) {
    const allowed = granted[`${o.kind}/${o.metadata.name}`];
    need(allowed, `${o.kind}/${o.metadata.name}: not a role docs/security.md grants`);
    for (const rule of o.rules || []) {
      const all = [...(rule.apiGroups || []), ...(rule.resources || []), ...(rule.verbs || [])];
      need(!all.includes("*"), `${o.kind}/${o.metadata.name}: no wildcards`);
      const covered = (allowed || []).some((a) =>
        (rule.resources || []).every((r) => a.resources.includes(r)) &&
        (rule.verbs || []).every((v) => a.verbs.includes(v)) &&
        (!a.names || ((rule.resourceNames || []).length > 0 &&
          rule.resourceNames.every((n) => a.names.includes(n)))));
      need(covered, `${o.kind}/${o.metadata.name}: rule ${JSON.stringify(rule)} grants more than needed`);
    }
  }
  need(!objects.some((o) => o.kind === "ClusterRoleBinding" &&
      o.roleRef.name === "cluster-admin"), "nothing may be bound to cluster-admin");
  const adminSa = find(objects, "ServiceAccount", "alcor-admin");
  need(adminSa && adminSa.automountServiceAccountToken === false,
    "ServiceAccount alcor-admin (REST admins' tokens) exists and is mounted nowhere");

  // Controller: Deployment with probes and a PVC for SQLite, and a Service.
  const ctl = find(objects, "Deployment", "alcor-controller");
  need(ctl, "Deployment alcor-controller missing");
  if (ctl) {
    const spec = ctl.spec.template.spec;
    const c = containerOf(spec, "alcor-controller");
    need(ctl.spec.replicas === 1 && ctl.spec.strategy.type === "Recreate",
      "controller: one replica replaced by Recreate (SQLite is single-writer)");
    need(spec.hostNetwork === true, "controller: hostNetwork (it cannot depend on pod networking)");
    need(c && c.readinessProbe && c.livenessProbe, "controller: readiness and liveness probes");
    const pvc = (spec.volumes || []).find((v) => v.persistentVolumeClaim);
    need(pvc && find(objects, "PersistentVolumeClaim", pvc.persistentVolumeClaim.claimName),
      "controller: its database lives on a PersistentVolumeClaim of the bundle");
    need(c && c.securityContext && c.securityContext.privileged !== true &&
      spec.securityContext && spec.securityContext.runAsNonRoot === true,
    "controller: runs as non-root, unprivileged");
    need(c && ["startupProbe", "readinessProbe", "livenessProbe"].every((p) =>
      !c[p] || (c[p].httpGet && c[p].httpGet.scheme === "HTTPS")),
    "controller: probes speak HTTPS (the REST API serves TLS only)");
  }
  const svc = find(objects, "Service", "alcor-controller");
  need(svc && svc.spec.ports.some((p) => p.name === "rest") && svc.spec.ports.some((p) => p.name === "grpc"),
    "Service alcor-controller with ports named rest and grpc (the agent uses their env variables)");

  // Agent DaemonSet.
  const ds = find(objects, "DaemonSet", "alcor-agent");
  need(ds, "DaemonSet alcor-agent missing");
  if (!ds) return errors;
  const spec = ds.spec.template.spec;
  need(spec.hostNetwork === true, "agent: hostNetwork");
  need((spec.tolerations || []).some((t) => t.operator === "Exists" && !t.key && !t.effect),
    "agent: tolerates every taint (pod networking is needed on all nodes)");
  const hostPathOf = (container, mountPath) => {
    const podSpec = container === ovs ? ovsSpec : spec;
    const m = (container.volumeMounts || []).find((x) => x.mountPath === mountPath);
    const v = m && (podSpec.volumes || []).find((x) => x.name === m.name);
    return m ? { mount: m, host: ((v || {}).hostPath || {}).path } : null;
  };
  const agent = containerOf(spec, "alcor-agent");
  const init = containerOf(spec, "install-cni");
  need(agent && init, "agent: container alcor-agent and init container install-cni");
  // Open vSwitch in a DaemonSet of its own that only OnDelete replaces: upgrading or restarting
  // the agents must not restart the datapath.
  const ovsDs = find(objects, "DaemonSet", "alcor-ovs");
  need(ovsDs, "DaemonSet alcor-ovs missing");
  if (!agent || !init || !ovsDs) return errors;
  const ovsSpec = ovsDs.spec.template.spec;
  const ovs = containerOf(ovsSpec, "alcor-ovs");
  need(ovs, "DaemonSet alcor-ovs: container alcor-ovs");
  if (!ovs) return errors;
  need((ovsDs.spec.updateStrategy || {}).type === "OnDelete",
    "alcor-ovs: updateStrategy OnDelete (an agent rollout never restarts the datapath)");
  need(!containerOf(spec, "alcor-ovs"), "alcor-agent: no alcor-ovs container (its restarts would restart OVS)");
  need(ovsSpec.hostNetwork === true, "alcor-ovs: hostNetwork");
  need((ovsSpec.tolerations || []).some((t) => t.operator === "Exists" && !t.key && !t.effect),
    "alcor-ovs: tolerates every taint (as the agent)");
  need((spec.initContainers || []).includes(init), "install-cni must be an init container");

  need(agent.securityContext.privileged === true, "alcor-agent: privileged (netns, links)");
  need(ovs.securityContext.privileged === true, "alcor-ovs: privileged (datapath)");
  need(!(init.securityContext || {}).privileged, "install-cni: unprivileged (it only copies files)");

  const netns = hostPathOf(agent, "/var/run/netns");
  need(netns && netns.host === "/var/run/netns" && netns.mount.mountPropagation === "Bidirectional",
    "alcor-agent: host /var/run/netns mounted with Bidirectional propagation");
  for (const [c, p, host] of [
    [agent, "/var/run/openvswitch", "/var/run/openvswitch"],
    [ovs, "/var/run/openvswitch", "/var/run/openvswitch"],
    [agent, "/var/run/alcor", "/var/run/alcor"],
    [init, "/host/opt/cni/bin", "/opt/cni/bin"],
    [init, "/host/etc/cni/net.d", "/etc/cni/net.d"],
  ]) {
    const m = hostPathOf(c, p);
    need(m && m.host === host, `${c.name}: host ${host} mounted at ${p}`);
  }
  need(execProbe(agent.readinessProbe).includes("alcor-agent") &&
    execProbe(agent.readinessProbe).includes("--probe=ready"), "alcor-agent: readiness probe alcor-agent --probe=ready");
  need(execProbe(agent.livenessProbe).includes("--probe=live"), "alcor-agent: liveness probe alcor-agent --probe=live");
  need(ovs.livenessProbe && ovs.readinessProbe, "alcor-ovs: liveness and readiness probes");

  // Security on by default (docs/security.md): HTTPS to the controller with a token bound to
  // the audience alcor-controller; no --insecure anywhere.
  need((agent.args || []).some((a) => a.startsWith("--controller-url=https://")),
    "alcor-agent: --controller-url is https://");
  const tokenVolume = (spec.volumes || []).find((v) => v.projected &&
    v.projected.sources.some((src) => src.serviceAccountToken &&
      src.serviceAccountToken.audience === "alcor-controller"));
  const tokenMount = tokenVolume && (agent.volumeMounts || []).find((m) => m.name === tokenVolume.name);
  need(tokenMount, "alcor-agent: a projected token bound to the audience alcor-controller");

  // install-cni: conflist from the ConfigMap, alcor-cni first and portmap chained.
  const cm = find(objects, "ConfigMap", "alcor-config");
  need(cm, "ConfigMap alcor-config missing");
  if (cm) {
    let conflist = null;
    try {
      conflist = JSON.parse(cm.data["10-alcor.conflist"]);
    } catch (e) {
      need(false, "ConfigMap 10-alcor.conflist is not JSON: " + e.message);
    }
    if (conflist) {
      const types = (conflist.plugins || []).map((p) => p.type);
      need(types[0] === "alcor-cni", "conflist: alcor-cni first");
      need(types.includes("portmap"), "conflist: portmap chained");
      const alcor = conflist.plugins[0];
      need(alcor.capabilities && alcor.capabilities["io.kubernetes.cri.pod-annotations"] === true,
        "conflist: alcor-cni declares the io.kubernetes.cri.pod-annotations capability");
      const pm = conflist.plugins.find((p) => p.type === "portmap");
      need(pm && pm.capabilities && pm.capabilities.portMappings === true,
        "conflist: portmap declares the portMappings capability");
    }
    const json = {};
    for (const key of ["agent.json", "controller.json"]) {
      try {
        json[key] = JSON.parse(cm.data[key]);
      } catch (e) {
        need(false, `ConfigMap ${key} is not JSON: ${e.message}`);
      }
    }
    const agentJson = json["agent.json"] || {}, controllerJson = json["controller.json"] || {};
    need(!agentJson.insecure && !controllerJson.insecure, "no --insecure in the shipped configuration");
    need(controllerJson["token-review"] === true && controllerJson["token-audience"] === "alcor-controller",
      "controller.json: REST tokens checked by TokenReview for the audience alcor-controller");
    need(controllerJson["publish-ca"] === agentJson["controller-ca-configmap"],
      "the controller publishes its CA where the agents read it");
    const tokenVol = (spec.volumes || []).find((v) => v.projected);
    const tokenMnt = tokenVol && (agent.volumeMounts || []).find((m) => m.name === tokenVol.name);
    need(tokenMnt && (agentJson["controller-token-file"] || "").startsWith(tokenMnt.mountPath + "/"),
      "agent.json: controller-token-file is the projected token");
    need(["system", "netdev"].includes(cm.data.datapath), "ConfigMap datapath is system or netdev");
  }
  return errors;
}

module.exports = { checkPolicy };
