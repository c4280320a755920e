using Broker.Policy.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy;

/// <summary>Loads and validates a policy file. Problems come back as values with file, line and column.</summary>
public static class PolicyLoader
{
    /// <summary>Reads and validates the policy at <paramref name="path"/>.</summary>
    public static PolicyLoadResult LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return PolicyLoadResult.Failure([new PolicyError(path, 0, 0, "cannot read the policy file: " + e.Message)]);
        }

        return Parse(text, path);
    }

    /// <summary>Validates policy YAML text; <paramref name="fileName"/> is used in error messages.</summary>
    public static PolicyLoadResult Parse(string yaml, string fileName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(fileName);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            return PolicyLoadResult.Failure([new PolicyError(fileName, e.Start.Line, e.Start.Column, "invalid YAML: " + (e.InnerException?.Message ?? e.Message))]);
        }

        if (stream.Documents.Count != 1)
        {
            return PolicyLoadResult.Failure([new PolicyError(fileName, 1, 1, "the policy file must hold exactly one YAML document")]);
        }

        var reader = new YamlReader(fileName);
        var document = new PolicyDocumentReader(reader, fileName).Read(stream.Documents[0].RootNode);
        return reader.Errors.Count > 0 || document is null
            ? PolicyLoadResult.Failure(reader.Errors)
            : PolicyLoadResult.Success(document);
    }
}
