using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

public class NoFalsePositiveTests
{
    private static void ShouldPassUnchanged(string text)
    {
        var input = Encoding.UTF8.GetBytes(text);
        foreach (var sizes in new[] { Mask.Whole(input), Mask.Random(input, 3, 1024), Mask.Random(input, 4, 64) })
        {
            var run = Mask.Run(input, sizes);

            run.Counts.Should().BeEmpty();
            run.Output.Should().Be(text);
        }
    }

    [Fact]
    public async Task Ls_of_usr_bin_is_not_masked()
    {
        var (exit, stdout, _) = await Repository.RunAsync("ls", "/", "-l", "--color=always", "/usr/bin");

        exit.Should().Be(0);
        stdout.Length.Should().BeGreaterThan(10_000);
        ShouldPassUnchanged(stdout);
    }

    [Fact]
    public async Task Ps_output_is_not_masked()
    {
        // Command names rather than full argument lists: other tests' processes may carry real tokens in their arguments.
        var (exit, stdout, _) = await Repository.RunAsync("ps", "/", "-eo", "user,pid,pcpu,pmem,vsz,rss,tty,stat,start,time,comm");

        exit.Should().Be(0);
        ShouldPassUnchanged(stdout + SyntheticPs());
    }

    [Fact]
    public async Task Git_log_hashes_are_not_masked()
    {
        // 300 commits of this repository's own `git log` (--format='commit %H%nAuthor: %an <%ae>%nDate:   %ad%n%n    %s%n'),
        // kept as a file: read live, the test's outcome would depend on whatever the latest commit subjects say.
        var log = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "tests", "fixtures", "git-log-300.txt"));

        // Git object ids are 40 hex digits; more of them than the repository has commits yet.
        var random = new Random(2);
        var hashes = string.Concat(Enumerable.Range(0, 400).Select(_ => Convert.ToHexStringLower(RandomBytes(random, 20)) + "\n"));
        ShouldPassUnchanged(log + hashes);
    }

    [Fact]
    public void Uuids_are_not_masked()
    {
        var random = new Random(11);
        var text = new StringBuilder();
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            var guid = new Guid(bytes);
            text.Append(guid.ToString(i % 3 == 0 ? "D" : i % 3 == 1 ? "N" : "B")).Append(i % 2 == 0 ? '\n' : ' ');
            text.Append(guid.ToString("D").ToUpperInvariant()).Append('\n');
        }

        ShouldPassUnchanged(text.ToString());
    }

    [Fact]
    public void Base64_of_binary_files_is_not_masked()
    {
        foreach (var path in new[] { "/usr/bin/ls", "/usr/bin/bash", "/usr/bin/git" })
        {
            var bytes = File.ReadAllBytes(path);
            ShouldPassUnchanged(Convert.ToBase64String(bytes.AsSpan(0, Math.Min(bytes.Length, 300_000)), Base64FormattingOptions.InsertLineBreaks) + "\n");
        }
    }

    [Fact]
    public void Aws_ec2_describe_instances_json_without_secrets_is_not_masked()
    {
        ShouldPassUnchanged(DescribeInstances());
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string SyntheticPs()
    {
        var random = new Random(5);
        var text = new StringBuilder("USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n");
        string[] commands = ["/sbin/init", "/usr/lib/systemd/systemd-journald", "/usr/sbin/sshd -D", "nginx: worker process", "postgres: checkpointer",
            "/usr/bin/python3 /opt/app/manage.py runserver 0.0.0.0:8000", "node /srv/api/dist/index.js --port 3000", "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock"];
        for (var i = 0; i < 500; i++)
        {
            text.Append($"{(i % 3 == 0 ? "root" : "www-data"),-8} {random.Next(1, 4_194_304),7} {random.Next(0, 1000) / 10.0,4:0.0} {random.Next(0, 100) / 10.0,4:0.0} {random.Next(1000, 9_999_999),7} {random.Next(100, 999_999),6} {(i % 4 == 0 ? "pts/" + random.Next(9) : "?"),-8} Ss   {random.Next(0, 24):00}:{random.Next(0, 60):00}   {random.Next(0, 99)}:{random.Next(0, 60):00} {commands[random.Next(commands.Length)]}\n");
        }

        return text.ToString();
    }

    private static string DescribeInstances()
    {
        var random = new Random(9);
        var text = new StringBuilder("{\n    \"Reservations\": [\n");
        for (var i = 0; i < 40; i++)
        {
            var id = $"i-0{random.NextInt64(0, long.MaxValue):x16}"[..19];
            var ip = $"10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}";
            text.Append($$"""
                        {
                            "Groups": [],
                            "Instances": [
                                {
                                    "AmiLaunchIndex": 0,
                                    "ImageId": "ami-0{{random.NextInt64(0, long.MaxValue):x16}}",
                                    "InstanceId": "{{id}}",
                                    "InstanceType": "t3.medium",
                                    "KeyName": "deploy-key",
                                    "LaunchTime": "2026-11-{{random.Next(10, 28)}}T08:{{random.Next(10, 59)}}:12+00:00",
                                    "Monitoring": { "State": "disabled" },
                                    "Placement": { "AvailabilityZone": "eu-west-1a", "GroupName": "", "Tenancy": "default" },
                                    "PrivateDnsName": "ip-{{ip.Replace('.', '-')}}.eu-west-1.compute.internal",
                                    "PrivateIpAddress": "{{ip}}",
                                    "State": { "Code": 16, "Name": "running" },
                                    "SubnetId": "subnet-0{{random.NextInt64(0, long.MaxValue):x16}}",
                                    "VpcId": "vpc-0{{random.NextInt64(0, long.MaxValue):x16}}",
                                    "Architecture": "x86_64",
                                    "BlockDeviceMappings": [
                                        { "DeviceName": "/dev/xvda", "Ebs": { "AttachTime": "2026-11-02T10:01:44+00:00", "DeleteOnTermination": true, "Status": "attached", "VolumeId": "vol-0{{random.NextInt64(0, long.MaxValue):x16}}" } }
                                    ],
                                    "IamInstanceProfile": { "Arn": "arn:aws:iam::123456789012:instance-profile/app-{{i}}", "Id": "AIPA{{random.NextInt64(0, long.MaxValue):X16}}" },
                                    "NetworkInterfaces": [ { "MacAddress": "0a:{{random.Next(16, 255):x2}}:3f:{{random.Next(16, 255):x2}}:9c:01", "NetworkInterfaceId": "eni-0{{random.NextInt64(0, long.MaxValue):x16}}", "OwnerId": "123456789012" } ],
                                    "SecurityGroups": [ { "GroupName": "web", "GroupId": "sg-0{{random.NextInt64(0, long.MaxValue):x16}}" } ],
                                    "Tags": [ { "Key": "Name", "Value": "web-{{i}}" }, { "Key": "aws:cloudformation:stack-id", "Value": "arn:aws:cloudformation:eu-west-1:123456789012:stack/web/{{Guid.NewGuid()}}" } ],
                                    "MetadataOptions": { "State": "applied", "HttpTokens": "required", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled" }
                                }
                            ],
                            "OwnerId": "123456789012",
                            "ReservationId": "r-0{{random.NextInt64(0, long.MaxValue):x16}}"
                        },

                """);
        }

        return text.Append("    ]\n}\n").ToString();
    }
}
