namespace Broker.Policy.Tests;

/// <summary>The <c>server.recording.object_store</c> section: validated at load, with the access key from files or the environment only.</summary>
public sealed class ObjectStoreSettingsTests : IDisposable
{
    private const string Policy = ServerSectionPolicy.Head + "server:\n  recording:\n    object_store:\nSTORE";

    private readonly string _directory = Directory.CreateTempSubdirectory("object-store-").FullName;

    [Fact]
    public void A_full_section_loads_with_the_access_key_read_from_files_next_to_the_policy()
    {
        File.WriteAllText(Path.Combine(_directory, "key-id"), "AKIDEXAMPLE\n");
        File.WriteAllText(Path.Combine(_directory, "secret"), "wJalrXUtnFEMI-secret\n");

        var result = Parse("""
                  bucket: team-recordings
                  prefix: prod/eu-1
                  endpoint: http://127.0.0.1:9000
                  region: eu-west-1
                  path_style: true
                  access_key_id_file: key-id
                  secret_access_key_file: secret
            """);

        result.Errors.Should().BeEmpty();
        var store = result.Document!.Server.Recording.ObjectStore!;
        store.Bucket.Should().Be("team-recordings");
        store.Prefix.Should().Be("prod/eu-1");
        store.Endpoint.Should().Be(new Uri("http://127.0.0.1:9000"));
        store.Region.Should().Be("eu-west-1");
        store.PathStyle.Should().BeTrue();
        store.Credentials!.AccessKeyId.Should().Be("AKIDEXAMPLE");
        store.Credentials.SecretAccessKey.Should().Be("wJalrXUtnFEMI-secret");
        store.ToString().Should().NotContain("wJalrXUtnFEMI-secret", "the definition's text form may end up in a log");
    }

    [Fact]
    public void Without_an_access_key_the_sdk_default_chain_is_used_and_without_the_section_there_is_no_bucket()
    {
        var result = Parse("      bucket: team-recordings");

        result.Errors.Should().BeEmpty();
        result.Document!.Server.Recording.ObjectStore!.Credentials.Should().BeNull();
        result.Document.Server.Recording.ObjectStore.Prefix.Should().BeEmpty();
        var bare = PolicyLoader.Parse(Policy[..Policy.IndexOf("server:", StringComparison.Ordinal)], Path.Combine(_directory, "policy.yaml"));
        bare.Document!.Server.Recording.ObjectStore.Should().BeNull();
    }

    [Fact]
    public void The_access_key_is_read_from_environment_variables()
    {
        Environment.SetEnvironmentVariable("BROKER_TEST_OBJECT_STORE_ID", "AKIDENV");
        Environment.SetEnvironmentVariable("BROKER_TEST_OBJECT_STORE_SECRET", "env-secret");
        try
        {
            var result = Parse("      bucket: b-1\n      access_key_id_env: BROKER_TEST_OBJECT_STORE_ID\n      secret_access_key_env: BROKER_TEST_OBJECT_STORE_SECRET");

            result.Errors.Should().BeEmpty();
            result.Document!.Server.Recording.ObjectStore!.Credentials!.AccessKeyId.Should().Be("AKIDENV");
        }
        finally
        {
            Environment.SetEnvironmentVariable("BROKER_TEST_OBJECT_STORE_ID", null);
            Environment.SetEnvironmentVariable("BROKER_TEST_OBJECT_STORE_SECRET", null);
        }
    }

    [Theory]
    [InlineData("      prefix: x", 17, "needs 'bucket'")]
    [InlineData("      bucket: Not_A_Bucket", 17, "is not a bucket name")]
    [InlineData("      bucket: ok-bucket\n      prefix: /leading", 18, "without a leading or trailing slash")]
    [InlineData("      bucket: ok-bucket\n      endpoint: ftp://store", 18, "absolute http:// or https:// URL")]
    [InlineData("      bucket: ok-bucket\n      endpoint: http://user:pw@store", 18, "without credentials")]
    [InlineData("      bucket: ok-bucket\n      region: EU West", 18, "is not a region name")]
    [InlineData("      bucket: ok-bucket\n      access_key_id_env: BROKER_TEST_UNSET_OBJECT_STORE_ID\n      secret_access_key_file: nowhere", 18, "is not set")]
    [InlineData("      bucket: ok-bucket\n      secret_access_key_file: missing-secret", 17, "needs both an access key id and a secret access key")]
    [InlineData("      bucket: ok-bucket\n      secret_access_key: inline", 18, "unknown key 'secret_access_key'")]
    public void Bad_settings_are_load_errors_with_their_line(string store, int line, string message)
    {
        var result = Parse(store);

        result.Errors.Should().Contain(e => e.Message.Contains(message) && e.Line == line, string.Join("\n", result.Errors));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private PolicyLoadResult Parse(string store) =>
        PolicyLoader.Parse(Policy.Replace("STORE", store), Path.Combine(_directory, "policy.yaml"));
}
