using System.Buffers;
using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>Which characters may stand right before a token's prefix.</summary>
internal enum TokenBoundary
{
    /// <summary>Anything: the prefix is distinctive enough to be found glued to other text (<c>MY_ghp_…</c>).</summary>
    Glued,

    /// <summary>
    /// No letter, digit, <c>+</c> or <c>/</c>: short prefixes (<c>sk-</c>, <c>SK</c>) also occur inside ordinary words, and
    /// prefixes made of base64 characters (<c>AIza</c>, <c>EAAA</c>) inside base64 data. <c>_</c> and <c>-</c> may precede.
    /// </summary>
    WordStart,
}

/// <summary>
/// One token format: a literal prefix, then at least <paramref name="MinBody"/> characters of <paramref name="Body"/>.
/// A proper prefix of <paramref name="Prefix"/> that ends the output is held back once it is <paramref name="HoldFrom"/>
/// characters long, so that a token cut there is masked whole. A body whose characters are less varied than
/// <paramref name="MinEntropy"/> bits each is not a token (base64 of binary data is full of <c>AAAA</c> runs, which
/// random token bodies are not).
/// </summary>
internal sealed record TokenRule(string Prefix, string Name, SearchValues<byte> Body, int MinBody, TokenBoundary Boundary, int HoldFrom, double MinEntropy = 0);

/// <summary>
/// The prefixed token formats of the public secret-scanning rule sets (gitleaks, GitHub secret scanning,
/// secretlint), as facts: the prefix each issuer puts on its tokens, the alphabet and the shortest body.
/// Bodies are matched greedily and may be longer than the shortest; a prefix the tables below do not list is
/// not looked for.
/// </summary>
internal static class TokenRules
{
    private static readonly SearchValues<byte> s_alnum = SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);
    private static readonly SearchValues<byte> s_word = SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"u8);
    private static readonly SearchValues<byte> s_dash = SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-"u8);
    private static readonly SearchValues<byte> s_wordDash = SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"u8);
    private static readonly SearchValues<byte> s_wordDashDot = SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-.="u8);
    private static readonly SearchValues<byte> s_base64 = SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+/="u8);
    private static readonly SearchValues<byte> s_hex = SearchValues.Create("0123456789ABCDEFabcdef"u8);
    private static readonly SearchValues<byte> s_lowerAlnum = SearchValues.Create("0123456789abcdefghijklmnopqrstuvwxyz"u8);
    private static readonly SearchValues<byte> s_bech32Upper = SearchValues.Create("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"u8);
    private static readonly SearchValues<byte> s_letters = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    // The detectors that predate the long tail hold a cut prefix from its first character (an echoed `g` waits for the
    // hold delay); the others from their third, so that most echoed letters are not delayed. A token cut within its
    // first two characters then shows those two prefix characters, and is masked from the third on.
    private static readonly HashSet<string> s_holdFromFirst =
        [DetectorNames.GitHubToken, DetectorNames.SlackToken, DetectorNames.SkApiKey, DetectorNames.StripeKey, DetectorNames.NpmToken];

    /// <summary>Every rule whose detector <paramref name="enabled"/> allows.</summary>
    public static IEnumerable<TokenRule> For(Func<string, bool> enabled) => All.Where(r => enabled(r.Name));

    private static IReadOnlyList<TokenRule> All { get; } =
    [
        .. Rules(DetectorNames.GitHubToken, s_alnum, 36, TokenBoundary.Glued, "ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        .. Rules(DetectorNames.GitHubToken, s_word, 22, TokenBoundary.Glued, "github_pat_"),
        .. Rules(DetectorNames.GitLabToken, s_wordDash, 20, TokenBoundary.Glued,
            "glpat-", "glptt-", "gldt-", "glft-", "glimt-", "glagent-", "gloas-", "glrt-", "glsoat-", "glcbt-", "glffct-"),
        .. Rules(DetectorNames.GitLabToken, s_wordDash, 20, TokenBoundary.WordStart, "GR1348941"),
        .. Rules(DetectorNames.SlackToken, s_dash, 10, TokenBoundary.Glued, "xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxr-", "xoxs-", "xoxe-", "xoxe.xox", "xapp-"),
        .. Rules(DetectorNames.SkApiKey, s_wordDash, 20, TokenBoundary.WordStart, "sk-"),
        .. Rules(DetectorNames.StripeKey, s_alnum, 10, TokenBoundary.Glued, "sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_", "whsec_"),
        .. Rules(DetectorNames.NpmToken, s_alnum, 36, TokenBoundary.Glued, "npm_"),
        .. Rules(DetectorNames.GoogleApiKey, s_wordDash, 35, TokenBoundary.WordStart, "AIza"),

        // The long tail: one name for all of them, so a role can turn the lot off.
        .. Rules(DetectorNames.VendorToken, s_hex, 64, TokenBoundary.Glued, "dop_v1_", "doo_v1_", "dor_v1_", "sntryu_"),
        .. Rules(DetectorNames.VendorToken, s_hex, 32, TokenBoundary.Glued, "shpat_", "shpca_", "shppa_", "shpss_"),
        .. Rules(DetectorNames.VendorToken, s_hex, 32, TokenBoundary.WordStart, "dapi", "SK"),
        .. Rules(DetectorNames.VendorToken, s_hex, 40, TokenBoundary.Glued, "shippo_live_", "shippo_test_", "pul-"),
        .. Rules(DetectorNames.VendorToken, s_hex, 48, TokenBoundary.Glued, "rubygems_"),
        .. Rules(DetectorNames.VendorToken, s_hex, 64, TokenBoundary.Glued, "xkeysib-", "s-s4t2ud-", "s-s4t2af-"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 40, TokenBoundary.Glued, "lin_api_"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 36, TokenBoundary.Glued, "pnu_"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 32, TokenBoundary.Glued, "ico-"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 48, TokenBoundary.Glued, "pplx-"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 54, TokenBoundary.WordStart, "EZAK", "EZTK"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 60, TokenBoundary.Glued, "CLOJARS_"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 69, TokenBoundary.WordStart, "AKCp"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 70, TokenBoundary.Glued, "rdme_"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 70, TokenBoundary.WordStart, "eyJrIjoi"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 40, TokenBoundary.Glued, "ntn_"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 16, TokenBoundary.Glued, "sm_aat_", "sm_pat_", "sm_sat_"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 100, TokenBoundary.WordStart, "EAAC", "EAAM").Select(r => r with { MinEntropy = 4.0 }),
        .. Rules(DetectorNames.VendorToken, s_alnum, 26, TokenBoundary.WordStart, "API-"),
        .. Rules(DetectorNames.VendorToken, s_letters, 34, TokenBoundary.WordStart, "hf_", "api_org_"),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 43, TokenBoundary.Glued, "dp.pt.", "dp.st.", "dp.ct.", "dp.sa.", "dp.scim.", "dp.audit.", "fo1_", "sha256~", "duffel_live_", "duffel_test_"),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 22, TokenBoundary.Glued, "sq0atp-", "sq0csp-", "PMAK-"),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 60, TokenBoundary.WordStart, "EAAA").Select(r => r with { MinEntropy = 4.0 }),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 27, TokenBoundary.Glued, "NRAK-", "NRII-"),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 19, TokenBoundary.Glued, "NRJS-"),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 48, TokenBoundary.Glued, "tk-us-"),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 58, TokenBoundary.Glued, "HRKU-AA"),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 64, TokenBoundary.Glued, "fio-u-"),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 90, TokenBoundary.Glued, "hvs.", "hvb."),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 186, TokenBoundary.WordStart, "ATATT3"),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 50, TokenBoundary.Glued, "pypi-AgEIcHlwaS5vcmc"),
        .. Rules(DetectorNames.VendorToken, s_wordDashDot, 32, TokenBoundary.Glued, "pscale_tkn_", "pscale_pw_", "pscale_oauth_"),
        .. Rules(DetectorNames.VendorToken, s_wordDashDot, 66, TokenBoundary.WordStart, "SG."),
        .. Rules(DetectorNames.VendorToken, s_wordDashDot, 60, TokenBoundary.Glued, "dt0c01."),
        .. Rules(DetectorNames.VendorToken, s_wordDashDot, 40, TokenBoundary.Glued, "tfp_"),
        .. Rules(DetectorNames.VendorToken, s_wordDashDot, 12, TokenBoundary.Glued, "FLWSECK_TEST-", "FLWSECK-"),
        .. Rules(DetectorNames.VendorToken, s_base64, 32, TokenBoundary.Glued, "glc_"),
        .. Rules(DetectorNames.VendorToken, s_word, 40, TokenBoundary.Glued, "glsa_"),
        .. Rules(DetectorNames.VendorToken, s_base64, 100, TokenBoundary.Glued, "fm2_", "fm1a_", "fm1r_"),
        .. Rules(DetectorNames.VendorToken, s_base64, 100, TokenBoundary.WordStart, "ABSK"),
        .. Rules(DetectorNames.VendorToken, s_base64, 200, TokenBoundary.Glued, "ops_eyJ"),
        .. Rules(DetectorNames.VendorToken, s_base64, 40, TokenBoundary.Glued, "sntrys_eyJ"),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 170, TokenBoundary.Glued, "v1.0-"),
        .. Rules(DetectorNames.VendorToken, s_bech32Upper, 58, TokenBoundary.Glued, "AGE-SECRET-KEY-1"),

        // Added with the detector corpus (tests/Broker.Masking.Tests/Corpus), for formats it found missed.
        .. Rules(DetectorNames.VendorToken, s_wordDash, 28, TokenBoundary.Glued, "GOCSPX-"),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 43, TokenBoundary.Glued, "CFPAT-"),
        .. Rules(DetectorNames.VendorToken, s_wordDash, 36, TokenBoundary.Glued, "pat-na1-", "pat-eu1-"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 52, TokenBoundary.Glued, "gsk_"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 80, TokenBoundary.Glued, "xai-"),
        .. Rules(DetectorNames.VendorToken, s_dash, 20, TokenBoundary.Glued, "tskey-auth-", "tskey-api-", "tskey-client-"),
        .. Rules(DetectorNames.VendorToken, s_hex, 40, TokenBoundary.Glued, "sbp_", "bkua_"),
        .. Rules(DetectorNames.VendorToken, s_word, 40, TokenBoundary.Glued, "sgp_"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 37, TokenBoundary.WordStart, "r8_"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 32, TokenBoundary.WordStart, "ATBB", "AKID"),
        .. Rules(DetectorNames.VendorToken, s_alnum, 20, TokenBoundary.WordStart, "LTAI"),
        .. Rules(DetectorNames.VendorToken, s_lowerAlnum, 43, TokenBoundary.WordStart, "oy2"),
        .. Rules(DetectorNames.VendorToken, s_wordDashDot, 60, TokenBoundary.WordStart, "sk.eyJ"),
        .. Rules(DetectorNames.Jwt, s_base64, 40, TokenBoundary.WordStart, "ZXlKaGJHY2lPaU", "ZXlKMGVYQWlPaU"),
    ];

    private static IEnumerable<TokenRule> Rules(string name, SearchValues<byte> body, int minBody, TokenBoundary boundary, params string[] prefixes) =>
        prefixes.Select(p => new TokenRule(p, name, body, minBody, boundary, s_holdFromFirst.Contains(name) ? 1 : 3));
}
