using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Playground.Deploy.Tests.Chart;

/// <summary>
/// The chart rendered by Go's text/template (tests/chartcheck) and read back as YAML: every
/// document well formed, the optional features present exactly when enabled, and the
/// product facts (probes, sockets, ports, config) encoded where the pods need them.
/// </summary>
public sealed partial class ChartRenderTests
{
    /// <summary>Every optional feature on, with values that reach every optional branch.</summary>
    internal const string AllEnabled = """
        {
          "ingress": { "enabled": true, "className": "nginx", "tls": [ { "secretName": "goplay-tls", "hosts": [ "goplay.local" ] } ] },
          "web": {
            "autoscaling": { "enabled": true }, "pdb": { "enabled": true },
            "nodeSelector": { "goplay.dev/sandbox": "true" },
            "tolerations": [ { "key": "goplay.dev/sandbox", "operator": "Exists", "effect": "NoSchedule" } ],
            "resources": { "requests": { "cpu": "500m", "memory": "512Mi" } },
            "podAnnotations": { "example.com/team": "play" },
            "extraEnv": [ { "name": "Logging__LogLevel__Default", "value": "Warning" } ]
          },
          "proxy": { "autoscaling": { "enabled": true }, "pdb": { "enabled": true, "minAvailable": "50%" } },
          "imagePullSecrets": [ { "name": "regcred" } ],
          "serviceAccount": { "annotations": { "example.com/owner": "platform" } },
          "networkPolicy": {
            "enabled": true,
            "metricsFrom": [ { "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "monitoring" } } } ],
            "moduleEgress": [ { "cidr": "0.0.0.0/0", "except": [ "10.0.0.0/8" ], "ports": [ 443, 3128 ] } ]
          },
          "serviceMonitor": { "enabled": true, "labels": { "release": "prometheus" } },
          "dashboard": { "enabled": true, "annotations": { "grafana_folder": "GoPlay" } },
          "persistence": { "enabled": true, "storageClass": "fast" },
          "config": {
            "sandbox": { "runtime": "runsc" },
            "scheduler": { "slots": 4 },
            "modules": { "proxy": "http://proxy.corp:3128", "noProxy": ".corp", "deny": [ "example.com/blocked" ] },
            "embed": { "allowedOrigins": [ "https://docs.example.com" ] },
            "extra": { "Sandbox": { "RunnerPoolSize": 2 } }
          }
        }
        """;

    /// <summary>Every optional feature off, the ServiceAccount included.</summary>
    internal const string AllDisabled = """
        {
          "ingress": { "enabled": false },
          "web": { "autoscaling": { "enabled": false }, "pdb": { "enabled": false } },
          "proxy": { "autoscaling": { "enabled": false }, "pdb": { "enabled": false } },
          "networkPolicy": { "enabled": false },
          "serviceMonitor": { "enabled": false },
          "dashboard": { "enabled": false },
          "persistence": { "enabled": false },
          "serviceAccount": { "create": false }
        }
        """;

    [Fact]
    public async Task Render_DefaultValues_EveryDocumentIsAKubernetesObject()
    {
        var render = await ChartChecker.RenderAsync(ChartChecker.Values());

        Assert.NotEmpty(render.Documents);
        foreach (var doc in render.Documents)
        {
            var name = (string?)doc["metadata"]?["name"];
            Assert.False(string.IsNullOrEmpty((string?)doc["apiVersion"]), doc.ToJsonString());
            Assert.False(string.IsNullOrEmpty((string?)doc["kind"]), doc.ToJsonString());
            Assert.False(string.IsNullOrEmpty(name), doc.ToJsonString());
            Assert.True(DnsLabel().IsMatch(name!), $"{doc["kind"]} name '{name}' is not a DNS-1123 label");
            var labels = (JsonObject)doc["metadata"]!["labels"]!;
            Assert.Equal("goplay", (string?)labels["app.kubernetes.io/name"]);
            Assert.Equal("goplay", (string?)labels["app.kubernetes.io/instance"]);
            Assert.Equal("Helm", (string?)labels["app.kubernetes.io/managed-by"]);
            Assert.Equal("goplay-0.1.0", (string?)labels["helm.sh/chart"]);
        }
    }

    [Fact]
    public async Task Render_DefaultValues_HasTheCoreObjectsAndNoOptionalOnes()
    {
        var render = await ChartChecker.RenderAsync(ChartChecker.Values());

        Assert.Equal(2, render.OfKind("Deployment").Count());
        Assert.Equal(2, render.OfKind("Service").Count());
        Assert.Single(render.OfKind("ConfigMap"));
        Assert.Single(render.OfKind("ServiceAccount"));
        // The default confines Web: it runs untrusted code's builds and serves the module route.
        Assert.Equal(2, render.OfKind("NetworkPolicy").Count());
        Assert.Empty(render.OfKind("PodDisruptionBudget"));
        Assert.Empty(render.OfKind("HorizontalPodAutoscaler"));
        Assert.Empty(render.OfKind("Ingress"));
        Assert.Empty(render.OfKind("ServiceMonitor"));
        Assert.Empty(render.OfKind("PersistentVolumeClaim"));
        Assert.Contains("root-equivalent", render.Notes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_AllFeaturesEnabled_OptionalObjectsAppear()
    {
        var render = await ChartChecker.RenderAsync(ChartChecker.Values(AllEnabled));

        var ingress = Assert.Single(render.OfKind("Ingress"));
        Assert.Equal("networking.k8s.io/v1", (string?)ingress["apiVersion"]);
        Assert.Equal("nginx", (string?)ingress["spec"]!["ingressClassName"]);
        var backend = ingress["spec"]!["rules"]![0]!["http"]!["paths"]![0]!["backend"]!["service"]!;
        Assert.Equal("goplay-proxy", (string?)backend["name"]);
        Assert.Equal("goplay-tls", (string?)ingress["spec"]!["tls"]![0]!["secretName"]);
        Assert.Equal("3600", (string?)ingress["metadata"]!["annotations"]!["nginx.ingress.kubernetes.io/proxy-read-timeout"]);

        var hpas = render.OfKind("HorizontalPodAutoscaler").ToList();
        Assert.Equal(2, hpas.Count);
        Assert.All(hpas, h => Assert.Equal("autoscaling/v2", (string?)h["apiVersion"]));
        Assert.Equal(["goplay-proxy", "goplay-web"], hpas.Select(h => (string)h["spec"]!["scaleTargetRef"]!["name"]!).Order());
        // With an autoscaler, the Deployment must not fight it over replicas.
        Assert.All(render.OfKind("Deployment"), d => Assert.Null(d["spec"]!["replicas"]));

        Assert.Equal(2, render.OfKind("PodDisruptionBudget").Count());
        Assert.Equal("50%", (string?)render.Single("PodDisruptionBudget", "-proxy")["spec"]!["minAvailable"]);
        Assert.Equal(2, render.OfKind("NetworkPolicy").Count());

        var monitor = Assert.Single(render.OfKind("ServiceMonitor"));
        Assert.Equal("monitoring.coreos.com/v1", (string?)monitor["apiVersion"]);
        Assert.Equal("prometheus", (string?)monitor["metadata"]!["labels"]!["release"]);
        var endpoint = Assert.Single(monitor["spec"]!["endpoints"]!.AsArray())!;
        Assert.Equal("metrics", (string?)endpoint["port"]);
        Assert.Equal("/metrics", (string?)endpoint["path"]);

        var pvc = Assert.Single(render.OfKind("PersistentVolumeClaim"));
        Assert.Equal("fast", (string?)pvc["spec"]!["storageClassName"]);
        var data = Volume(render.Single("Deployment", "-web"), "data");
        Assert.Equal((string?)pvc["metadata"]!["name"], (string?)data["persistentVolumeClaim"]!["claimName"]);

        Assert.Equal(2, render.OfKind("ConfigMap").Count());
        Assert.Single(render.OfKind("ServiceAccount"));
    }

    [Fact]
    public async Task Render_AllFeaturesDisabled_OptionalObjectsAreAbsent()
    {
        var render = await ChartChecker.RenderAsync(ChartChecker.Values(AllDisabled));

        Assert.Equal(["ConfigMap", "Deployment", "Deployment", "Service", "Service"], render.Documents.Select(d => (string)d["kind"]!).Order());
        var web = render.Single("Deployment", "-web");
        Assert.NotNull(Volume(web, "data")["emptyDir"]);
        Assert.Equal("default", (string?)web["spec"]!["template"]!["spec"]!["serviceAccountName"]);
        Assert.Equal(1, (int)web["spec"]!["replicas"]!);
    }

    [Fact]
    public async Task Render_AllFeaturesEnabled_DashboardConfigMapEmbedsTheDashboard()
    {
        var render = await ChartChecker.RenderAsync(ChartChecker.Values(AllEnabled));

        var map = render.Single("ConfigMap", "-dashboard");
        Assert.Equal("1", (string?)map["metadata"]!["labels"]!["grafana_dashboard"]);
        var embedded = JsonNode.Parse((string)map["data"]!["goplay.json"]!)!;
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(ChartChecker.ChartDirectory, "dashboards", "goplay.json")))!;
        Assert.True(JsonNode.DeepEquals(file, embedded), "the ConfigMap's dashboard differs from dashboards/goplay.json");
        Assert.Equal("goplay", (string?)embedded["uid"]);
    }

    [Fact]
    public async Task Render_DefaultValues_ProbesUseTheHealthEndpoints()
    {
        var render = await ChartChecker.RenderAsync(ChartChecker.Values());

        var deployment = render.Single("Deployment", "-web");
        var web = Container(deployment);
        Assert.Equal("/health/live", (string?)web["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/health/ready", (string?)web["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("http", (string?)web["readinessProbe"]!["httpGet"]!["port"]);
        // The first start builds the sandbox images before /health/ready answers: the rollout
        // must wait that long, and liveness (which does not depend on the images) must not restart it.
        Assert.True((int)deployment["spec"]!["progressDeadlineSeconds"]! >= 600);
        Assert.Null(web["startupProbe"]);

        var proxy = Container(render.Single("Deployment", "-proxy"));
        Assert.Equal("/proxy/health/live", (string?)proxy["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/proxy/health/live", (string?)proxy["readinessProbe"]!["httpGet"]!["path"]);
    }

    [Fact]
    public async Task Render_SocketPathsOverridden_WebMountsThemAtTheHostPaths()
    {
        var values = ChartChecker.Values("""{ "sandbox": { "dockerSocket": "/run/docker.sock", "moduleSocketDirectory": "/srv/goplay/modules" } }""");

        var render = await ChartChecker.RenderAsync(values);

        var deployment = render.Single("Deployment", "-web");
        var web = Container(deployment);
        var docker = Volume(deployment, "docker-socket");
        Assert.Equal("/run/docker.sock", (string?)docker["hostPath"]!["path"]);
        Assert.Equal("Socket", (string?)docker["hostPath"]!["type"]);
        Assert.Equal("/run/docker.sock", Mount(web, "docker-socket"));
        Assert.Equal("unix:///run/docker.sock", Env(web, "Sandbox__DockerEndpoint"));

        // Builders are started by the node's engine and bind-mount the socket directory from
        // the host, so the pod must see it at the very same path.
        var modules = Volume(deployment, "module-sockets");
        Assert.Equal("/srv/goplay/modules", (string?)modules["hostPath"]!["path"]);
        Assert.Equal("/srv/goplay/modules", Mount(web, "module-sockets"));
        // One subdirectory per pod: the socket's name (modules.sock) is fixed, and pods on one node share the host path.
        Assert.Equal("/srv/goplay/modules/$(Sandbox__InstanceName)", Env(web, "Modules__SocketDirectory"));
        var env = web["env"]!.AsArray();
        var instance = env.Single(e => (string?)e!["name"] == "Sandbox__InstanceName")!;
        Assert.Equal("metadata.name", (string?)instance["valueFrom"]!["fieldRef"]!["fieldPath"]);
        // Kubernetes expands $(VAR) only from variables defined earlier in the list.
        Assert.True(env.IndexOf(instance) < env.IndexOf(env.Single(e => (string?)e!["name"] == "Modules__SocketDirectory")));
    }

    [Fact]
    public async Task Render_DefaultValues_PortsAndMetricsAreWired()
    {
        var render = await ChartChecker.RenderAsync(ChartChecker.Values());

        foreach (var component in new[] { "-web", "-proxy" })
        {
            var container = Container(render.Single("Deployment", component));
            Assert.Equal("http://+:8080;http://+:9464", Env(container, "ASPNETCORE_URLS"));
            Assert.Equal("9464", Env(container, "Telemetry__MetricsPort"));
            Assert.Equal("Production", Env(container, "ASPNETCORE_ENVIRONMENT"));
            var ports = container["ports"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => (int)p!["containerPort"]!);
            Assert.Equal(8080, ports["http"]);
            Assert.Equal(9464, ports["metrics"]);

            var service = render.Single("Service", component);
            Assert.Equal(["http", "metrics"], service["spec"]!["ports"]!.AsArray().Select(p => (string)p!["name"]!).Order());
            // Each Service selects exactly its Deployment's pods.
            var podLabels = render.Single("Deployment", component)["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
            foreach (var (key, value) in service["spec"]!["selector"]!.AsObject())
            {
                Assert.Equal((string?)value, (string?)podLabels[key]);
            }
        }

        var proxy = Container(render.Single("Deployment", "-proxy"));
        Assert.Equal("http://goplay-web:8080/", Env(proxy, "ReverseProxy__Clusters__web__Destinations__web1__Address"));
        Assert.Equal("goplay-web", (string?)render.Single("Service", "-web")["metadata"]!["name"]);
    }

    [Fact]
    public async Task Render_DefaultValues_ProxyRunsNonRootReadOnly()
    {
        var render = await ChartChecker.RenderAsync(ChartChecker.Values());

        var deployment = render.Single("Deployment", "-proxy");
        var pod = deployment["spec"]!["template"]!["spec"]!["securityContext"]!;
        Assert.Equal(1654, (int)pod["runAsUser"]!);
        Assert.True((bool)pod["runAsNonRoot"]!);
        var container = Container(deployment)["securityContext"]!;
        Assert.True((bool)container["readOnlyRootFilesystem"]!);
        Assert.False((bool)container["allowPrivilegeEscalation"]!);
        Assert.Equal(["ALL"], container["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("/tmp", Mount(Container(deployment), "tmp"));
        Assert.NotNull(Volume(deployment, "tmp")["emptyDir"]);

        var web = Container(render.Single("Deployment", "-web"))["securityContext"]!;
        Assert.False((bool)web["allowPrivilegeEscalation"]!);
    }

    [Fact]
    public async Task Render_ConfigValues_AppsettingsCarryThemAndExtraMergesOver()
    {
        var values = ChartChecker.Values(AllEnabled);
        values["config"]!["sandbox"]!["runWallTime"] = "00:00:30";

        var render = await ChartChecker.RenderAsync(values);

        var map = render.OfKind("ConfigMap").Single(m => m["data"]!["appsettings.Production.json"] is not null);
        var settings = JsonNode.Parse((string)map["data"]!["appsettings.Production.json"]!)!;
        Assert.Equal("00:00:30", (string?)settings["Sandbox"]!["RunWallTime"]);
        // Large numbers must stay plain integers (Go prints float64 values above 1e6 with an exponent otherwise).
        Assert.Equal(268435456L, (long)settings["Sandbox"]!["MemoryBytes"]!);
        Assert.Equal("runsc", (string?)settings["Sandbox"]!["Runtime"]);
        Assert.Equal(2, (int)settings["Sandbox"]!["RunnerPoolSize"]!);
        Assert.Equal(4, (int)settings["Scheduler"]!["Slots"]!);
        Assert.Equal("http://proxy.corp:3128", (string?)settings["Modules"]!["Proxy"]);
        Assert.Equal(["example.com/blocked"], settings["Modules"]!["Deny"]!.AsArray().Select(d => (string)d!));
        Assert.Equal(["https://docs.example.com"], settings["Embed"]!["AllowedOrigins"]!.AsArray().Select(d => (string)d!));

        var web = render.Single("Deployment", "-web");
        Assert.Equal("/app/appsettings.Production.json", Mount(Container(web), "config"));
    }

    [Fact]
    public async Task Render_DefaultValues_UnsetOptionalSettingsAreLeftToTheApp()
    {
        var render = await ChartChecker.RenderAsync(ChartChecker.Values());

        var settings = JsonNode.Parse((string)render.Single("ConfigMap", "-web")["data"]!["appsettings.Production.json"]!)!.AsObject();
        // Slots 0 means "the app's default" (the pod's cores); Runtime "" means the engine's.
        Assert.False(settings["Scheduler"]!.AsObject().ContainsKey("Slots"));
        Assert.False(settings["Sandbox"]!.AsObject().ContainsKey("Runtime"));
        Assert.False(settings["Modules"]!.AsObject().ContainsKey("Proxy"));
    }

    [Fact]
    public async Task Render_ConfigChanged_PodTemplateChecksumChanges()
    {
        var before = await ChartChecker.RenderAsync(ChartChecker.Values());
        var after = await ChartChecker.RenderAsync(ChartChecker.Values("""{ "config": { "sandbox": { "runWallTime": "00:02:00" } } }"""));
        var again = await ChartChecker.RenderAsync(ChartChecker.Values());

        static string Checksum(ChartRender r) => (string)r.Single("Deployment", "-web")["spec"]!["template"]!["metadata"]!["annotations"]!["checksum/config"]!;
        Assert.Matches("^[0-9a-f]{64}$", Checksum(before));
        Assert.NotEqual(Checksum(before), Checksum(after));
        Assert.Equal(Checksum(before), Checksum(again));
    }

    [Fact]
    public async Task Render_DefaultValues_WebEgressIsDnsAndTheModuleUpstreamOnly()
    {
        var render = await ChartChecker.RenderAsync(ChartChecker.Values());

        var policy = render.Single("NetworkPolicy", "-web")["spec"]!;
        Assert.Equal(["Egress", "Ingress"], policy["policyTypes"]!.AsArray().Select(p => (string)p!).Order());
        var egress = policy["egress"]!.AsArray();
        Assert.Equal(2, egress.Count);
        Assert.Equal([53, 53], egress[0]!["ports"]!.AsArray().Select(p => (int)p!["port"]!));
        Assert.Equal("0.0.0.0/0", (string?)egress[1]!["to"]![0]!["ipBlock"]!["cidr"]);
        Assert.Equal([443], egress[1]!["ports"]!.AsArray().Select(p => (int)p!["port"]!));

        // Web's HTTP port admits the proxy pods only.
        var fromProxy = policy["ingress"]![0]!;
        Assert.Equal("proxy", (string?)fromProxy["from"]![0]!["podSelector"]!["matchLabels"]!["app.kubernetes.io/component"]);
        Assert.Equal("http", (string?)fromProxy["ports"]![0]!["port"]);
    }

    [Fact]
    public async Task Render_LongReleaseName_NamesStayWithin63Characters()
    {
        var release = new string('r', 60);

        var render = await ChartChecker.RenderAsync(ChartChecker.Values(AllEnabled), release: release);

        Assert.All(render.Documents, d =>
        {
            var name = (string)d["metadata"]!["name"]!;
            Assert.True(DnsLabel().IsMatch(name), $"{d["kind"]} name '{name}' ({name.Length} characters) is not a DNS-1123 label");
        });
        // Trimming must not make the two components collide.
        Assert.Equal(2, render.OfKind("Deployment").Select(d => (string)d["metadata"]!["name"]!).Distinct().Count());
    }

    private static JsonObject Container(JsonObject deployment) =>
        (JsonObject)deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;

    private static JsonObject Volume(JsonObject deployment, string name) =>
        (JsonObject)deployment["spec"]!["template"]!["spec"]!["volumes"]!.AsArray().Single(v => (string?)v!["name"] == name)!;

    private static string? Mount(JsonObject container, string volume) =>
        (string?)container["volumeMounts"]!.AsArray().Single(m => (string?)m!["name"] == volume)!["mountPath"];

    private static string? Env(JsonObject container, string name) =>
        (string?)container["env"]!.AsArray().Single(e => (string?)e!["name"] == name)!["value"];

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
