import type { Platform, PlatformContext, PlatformFile } from './platform.js';
import { codeBlock, readmeSection } from './platform-readme.js';

// The C# driver has no CA-file option: SslStream trusts the OS store unless the validation callback
// says otherwise. The callback below builds the chain against ca.crt alone (CustomRootTrust) and
// treats a name mismatch as fatal only when hostname verification is on. SetHostNameResolver makes
// the driver hand tlsServerName to SslStream as the target host.
const EXAMPLE = `// Connects with the bundle's client certificate and prints the server's release_version.
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Cassandra;

var bundleDir = Environment.GetEnvironmentVariable("SCB_BUNDLE_DIR") ?? ".";
using var configJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(bundleDir, "config.json")));
var config = configJson.RootElement;
string? Text(string name) =>
    config.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

var hostnameVerification = config.GetProperty("hostnameVerification").GetBoolean();
var serverName = Text("tlsServerName");
var trustedCas = new X509Certificate2Collection();
trustedCas.ImportFromPemFile(Path.Combine(bundleDir, "ca.crt"));
var identity = new X509Certificate2(Path.Combine(bundleDir, "cert.pfx"), Text("pfxCertPassword"));

bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? _, SslPolicyErrors errors)
{
    if (certificate == null) return false;
    if (hostnameVerification && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
    using var chain = new X509Chain();
    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
    chain.ChainPolicy.CustomTrustStore.AddRange(trustedCas);
    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
    return chain.Build(new X509Certificate2(certificate));
}

var ssl = new SSLOptions(SslProtocols.Tls12 | SslProtocols.Tls13, false, ValidateServer)
    .SetCertificateCollection(new X509CertificateCollection { identity });
if (serverName != null) ssl.SetHostNameResolver(_ => serverName);

var builder = Cluster.Builder()
    .AddContactPoints(config.GetProperty("contactPoints").EnumerateArray().Select(p => p.GetString()!).ToArray())
    .WithPort(config.GetProperty("cql_port").GetInt32())
    .WithLoadBalancingPolicy(Policies.NewDefaultLoadBalancingPolicy(Text("localDC")))
    .WithSSL(ssl);
if (Text("username") is string username) builder = builder.WithCredentials(username, Text("password"));

using var cluster = builder.Build();
var session = Text("keyspace") is string keyspace ? cluster.Connect(keyspace) : cluster.Connect();
var row = session.Execute("SELECT release_version FROM system.local").First();
Console.WriteLine(row.GetValue<string>("release_version"));
`;

const CSPROJ = `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net8.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="CassandraCSharpDriver" Version="3.*" />
  </ItemGroup>
</Project>
`;

export const platform: Platform = {
  id: 'csharp',
  title: 'C# (DataStax C# driver)',
  files(): PlatformFile[] {
    return [
      { path: 'Program.cs', content: EXAMPLE },
      { path: 'ScbExample.csproj', content: CSPROJ },
    ];
  },
  readme(ctx: PlatformContext): string {
    return readmeSection(
      'C# (DataStax C# driver)',
      `\`platforms/csharp/Program.cs\` (NuGet \`CassandraCSharpDriver\` 3.x, .NET 8) reads \`${ctx.files.config}\`, ` +
        `presents \`${ctx.files.pfx}\` (password \`pfxCertPassword\` from config.json) as the client certificate ` +
        `through \`WithSSL(new SSLOptions(...).SetCertificateCollection(...))\`, and trusts only \`${ctx.files.caCert}\` ` +
        'for the servers (the host name is checked when `hostnameVerification` is true, against `tlsServerName` ' +
        'when set). It prints `release_version`:',
      codeBlock('sh', ['cd platforms/csharp && SCB_BUNDLE_DIR=../.. dotnet run']),
    );
  },
};
