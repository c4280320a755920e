using System.Text;
using Broker.Policy.Catalog;

namespace Broker.Policy.Decisions;

/// <summary>
/// Maps an <c>aws</c> CLI invocation to the IAM actions it performs (<c>aws s3api delete-bucket</c> →
/// <c>s3:DeleteBucket</c>, <c>aws s3 mv</c> → get, put and delete) and reports options that hide parameters
/// from the policy as constructs.
/// </summary>
internal static class AwsCli
{
    private static readonly HashSet<string> GlobalValueOptions = new(StringComparer.Ordinal)
    {
        "--region", "--output", "--query", "--color", "--cli-read-timeout", "--cli-connect-timeout", "--cli-binary-format",
    };

    private static readonly HashSet<string> GlobalFlags = new(StringComparer.Ordinal)
    {
        "--debug", "--no-paginate", "--no-sign-request", "--no-cli-pager", "--cli-auto-prompt", "--no-cli-auto-prompt", "--version",
    };

    private static readonly HashSet<string> S3BooleanOptions = new(StringComparer.Ordinal)
    {
        "--recursive", "--dryrun", "--quiet", "--only-show-errors", "--no-progress", "--follow-symlinks", "--no-follow-symlinks",
        "--delete", "--exact-timestamps", "--size-only", "--no-guess-mime-type", "--force", "--human-readable", "--summarize",
        "--ignore-glacier-warnings", "--force-glacier-transfer", "--page-size-unused",
    };

    // CLI service names whose IAM prefix differs from the command name.
    private static readonly Dictionary<string, string> ServicePrefixes = new(StringComparer.Ordinal)
    {
        ["s3api"] = "s3", ["s3control"] = "s3", ["elbv2"] = "elasticloadbalancing", ["elb"] = "elasticloadbalancing",
        ["stepfunctions"] = "states", ["configservice"] = "config", ["opensearch"] = "es", ["sesv2"] = "ses",
        ["apigatewayv2"] = "apigateway", ["dynamodbstreams"] = "dynamodb", ["iot-data"] = "iot", ["lex-models"] = "lex",
        ["resourcegroupstaggingapi"] = "tag", ["sso-admin"] = "sso", ["cognito-idp"] = "cognito-idp",
        ["cognito-identity"] = "cognito-identity", ["application-autoscaling"] = "application-autoscaling",
        ["emr"] = "elasticmapreduce", ["emr-containers"] = "emr-containers", ["logs"] = "logs", ["events"] = "events",
        ["ecr-public"] = "ecr-public", ["pricing"] = "pricing", ["ce"] = "ce", ["mwaa"] = "airflow", ["efs"] = "elasticfilesystem",
        ["acm-pca"] = "acm-pca", ["workspaces"] = "workspaces", ["ssm-incidents"] = "ssm-incidents",
    };

    private static readonly HashSet<string> Services = new(StringComparer.Ordinal)
    {
        "accessanalyzer", "account", "acm", "amplify", "apigateway", "appconfig", "appflow", "appmesh", "apprunner", "appsync",
        "athena", "autoscaling", "backup", "batch", "bedrock", "bedrock-runtime", "budgets", "cloud9", "cloudcontrol", "cloudformation",
        "cloudfront", "cloudhsmv2", "cloudsearch", "cloudtrail", "cloudwatch", "codeartifact", "codebuild", "codecommit", "codedeploy",
        "codepipeline", "codestar-connections", "comprehend", "compute-optimizer", "connect", "datasync", "dax", "detective",
        "devicefarm", "directconnect", "dlm", "dms", "docdb", "ds", "dynamodb", "ebs", "ec2", "ec2-instance-connect", "ecr", "ecs",
        "eks", "elasticache", "elasticbeanstalk", "firehose", "fis", "fsx", "glacier", "globalaccelerator", "glue", "grafana",
        "guardduty", "health", "iam", "identitystore", "imagebuilder", "inspector2", "iot", "kafka", "kendra", "kinesis",
        "kinesisanalytics", "kms", "lakeformation", "lambda", "lightsail", "macie2", "memorydb", "mq", "neptune", "network-firewall",
        "organizations", "outposts", "personalize", "pinpoint", "polly", "qldb", "quicksight", "ram", "rds", "rds-data", "redshift",
        "redshift-data", "rekognition", "resource-groups", "route53", "route53domains", "route53resolver", "s3", "sagemaker",
        "savingsplans", "scheduler", "schemas", "secretsmanager", "securityhub", "servicecatalog", "servicediscovery",
        "servicequotas", "ses", "shield", "signer", "sns", "sqs", "ssm", "sso", "sso-oidc", "sts", "support", "swf", "synthetics",
        "textract", "timestream-query", "timestream-write", "transcribe", "transfer", "translate", "waf", "wafv2", "xray",
    };

    public static void Analyze(ResolvedCommand command, List<Construct> constructs, AwsSecrets secrets)
    {
        var arguments = command.Arguments;
        string? service = null;
        string? operation = null;
        var operands = new List<string>();
        var options = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (argument.StartsWith("file://", StringComparison.OrdinalIgnoreCase) || argument.StartsWith("fileb://", StringComparison.OrdinalIgnoreCase))
            {
                constructs.Add(new Construct(ConstructNames.AwsFileArgument, argument));
            }

            if (!argument.StartsWith("--", StringComparison.Ordinal) || argument == "--")
            {
                if (service is null)
                {
                    service = argument;
                }
                else if (operation is null)
                {
                    operation = argument;
                }
                else
                {
                    operands.Add(argument);
                }

                continue;
            }

            var equals = argument.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? argument : argument[..equals];
            options.Add(name);
            var takesValue = true;
            switch (name)
            {
                case "--endpoint-url":
                    constructs.Add(new Construct(ConstructNames.AwsEndpointUrl, null));
                    break;
                case "--profile":
                    constructs.Add(new Construct(ConstructNames.AwsProfile, null));
                    break;
                case "--cli-input-json" or "--cli-input-yaml":
                    constructs.Add(new Construct(ConstructNames.AwsCliInput, name));
                    break;
                case "--ca-bundle":
                    constructs.Add(new Construct(ConstructNames.AwsTlsOverride, name));
                    break;
                case "--no-verify-ssl":
                    constructs.Add(new Construct(ConstructNames.AwsTlsOverride, name));
                    takesValue = false;
                    break;
                default:
                    if (GlobalFlags.Contains(name) || S3BooleanOptions.Contains(name))
                    {
                        takesValue = false;
                    }
                    else if (!GlobalValueOptions.Contains(name) && operation is null)
                    {
                        // An unknown option before the operation: its arity is unknown, so the operation is too.
                        constructs.Add(new Construct(ConstructNames.AwsUnknownCommand, name));
                        return;
                    }
                    else if (i + 1 < arguments.Count && arguments[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        takesValue = false;
                    }

                    break;
            }

            if (takesValue && equals < 0 && i + 1 < arguments.Count)
            {
                i++;
                var value = arguments[i];
                if (value.StartsWith("file://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("fileb://", StringComparison.OrdinalIgnoreCase))
                {
                    constructs.Add(new Construct(ConstructNames.AwsFileArgument, value));
                }
            }
        }

        if (service is null || service == "help" || operation == "help")
        {
            return;
        }

        if (service == "configure")
        {
            constructs.Add(new Construct(ConstructNames.AwsConfigure, operation));
            return;
        }

        var isHighLevelS3 = service == "s3";
        string? prefix = null;
        if (!isHighLevelS3 && !ServicePrefixes.TryGetValue(service, out prefix))
        {
            if (!Services.Contains(service))
            {
                constructs.Add(new Construct(ConstructNames.AwsUnknownCommand, service));
                return;
            }

            prefix = service;
        }

        if (operation is null)
        {
            return;
        }

        if (isHighLevelS3)
        {
            var actions = S3HighLevel(operation, operands, options);
            if (actions is null)
            {
                constructs.Add(new Construct(ConstructNames.AwsUnknownCommand, "s3 " + operation));
            }
            else
            {
                command.AwsActions = actions;
                if (operation == "presign")
                {
                    // A presigned URL is a credential for whoever holds it.
                    command.SecretActions = ["s3:PresignUrl"];
                }
            }

            return;
        }

        var action = secrets.Commands.TryGetValue(service + " " + operation, out var mapped) ? mapped : prefix + ":" + ToPascalCase(operation);
        command.AwsActions = [action];
        if (secrets.Reveals(action, options))
        {
            command.SecretActions = [action];
        }
    }

    private static string[]? S3HighLevel(string operation, List<string> operands, HashSet<string> options)
    {
        var recursive = options.Contains("--recursive");
        var sourceIsS3 = operands.Count > 0 && IsS3Path(operands[0]);
        var destinationIsS3 = operands.Count > 1 && IsS3Path(operands[1]);
        var ambiguous = operands.Count < 2;
        var actions = new List<string>();
        switch (operation)
        {
            case "ls":
                actions.Add(operands.Count == 0 ? "s3:ListAllMyBuckets" : "s3:ListBucket");
                break;
            case "cp" or "mv" or "sync":
                if (recursive || operation == "sync")
                {
                    actions.Add("s3:ListBucket");
                }

                if (sourceIsS3 || ambiguous)
                {
                    actions.Add("s3:GetObject");
                }

                if (destinationIsS3 || ambiguous)
                {
                    actions.Add("s3:PutObject");
                }

                if ((operation == "mv" && (sourceIsS3 || ambiguous)) || (operation == "sync" && options.Contains("--delete")))
                {
                    actions.Add("s3:DeleteObject");
                }

                break;
            case "rm":
                if (recursive)
                {
                    actions.Add("s3:ListBucket");
                }

                actions.Add("s3:DeleteObject");
                break;
            case "mb":
                actions.Add("s3:CreateBucket");
                break;
            case "rb":
                if (options.Contains("--force"))
                {
                    actions.Add("s3:ListBucket");
                    actions.Add("s3:DeleteObject");
                }

                actions.Add("s3:DeleteBucket");
                break;
            case "presign":
                actions.Add("s3:GetObject");
                break;
            case "website":
                actions.Add("s3:PutBucketWebsite");
                break;
            default:
                return null;
        }

        return [.. actions];
    }

    private static bool IsS3Path(string operand) => operand.StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    internal static string ToPascalCase(string operation)
    {
        var builder = new StringBuilder(operation.Length);
        var upper = true;
        foreach (var c in operation)
        {
            if (c == '-')
            {
                upper = true;
                continue;
            }

            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return builder.ToString();
    }
}
