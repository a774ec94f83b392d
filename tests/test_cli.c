/* test_cli.c: the commons tool end to end. Every bad input (maps, presets, INI files, --set
 * overrides, options, policies) exits 2 with a message that names the place and the fix; every
 * --help exits 0; maps, run (table, JSON, determinism, per-agent policies) and bench work.
 */
#define _POSIX_C_SOURCE 200809L
#include "helpers.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static char out[65536];

/* runs `commons ARGS` through the shell; output in out, returns the exit code */
static int commons(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s", COMMONS_BIN, args);
    return th_run(cmd, out, sizeof out);
}

/* asserts that text holds needle, showing the command and the whole output otherwise */
static void expect_in(const char *args, const char *text, const char *needle) {
    if (!strstr(text, needle))
        fail_msg("commons %s: expected \"%s\" in the output:\n%s", args, needle, out);
}

/* runs commons ARGS, expects exit 2 and every needle of a NULL-ended list in the output */
static void expect_error(const char *args, const char *const *needles) {
    int rc = commons(args);
    if (rc != 2) fail_msg("commons %s: exit code %d, expected 2; output:\n%s", args, rc, out);
    for (int i = 0; needles[i]; i++) expect_in(args, out, needles[i]);
}
#define EXPECT_ERROR(args, ...) expect_error(args, (const char *const[]){__VA_ARGS__, NULL})

/* runs commons ARGS and expects exit 0 */
static void expect_ok(const char *args) {
    int rc = commons(args);
    if (rc != 0) fail_msg("commons %s: exit code %d, expected 0; output:\n%s", args, rc, out);
}

/* the run that points env.map at a map file holding text; returns the file's path */
static const char *map_run(char *args, size_t n, const char *text) {
    const char *path = th_write_temp(text, ".txt");
    snprintf(args, n, "run --env gathering-small --steps 5 --set env.map=%s", path);
    return path;
}

/* the run that applies an INI file holding text; returns the file's path */
static const char *config_run(char *args, size_t n, const char *text) {
    const char *path = th_write_temp(text, ".ini");
    snprintf(args, n, "run --env harvest --steps 5 --config %s", path);
    return path;
}

static const char *ALLOWED_MAP_CHARS =
    "allowed: '@' wall, ' ' or '.' floor, 'P' spawn, 'A' apple, 'H' waste, 'R' river, 'S' stream";

static void test_map_errors(void **state) {
    (void)state;
    char args[512], place[256];
    const char *path;

    /* unknown character: file:line:col, the character and the allowed list */
    path = map_run(args, sizeof args, "@@@@@\n@P.P@\n@.X.@\n@@@@@\n");
    snprintf(place, sizeof place, "%s:3:3: unknown map character 'X'", path);
    EXPECT_ERROR(args, place, ALLOWED_MAP_CHARS);

    /* leading ; comment lines still count for the line number */
    path = map_run(args, sizeof args, "; a comment\n; another\n@@@@@\n@P.PZ\n@@@@@\n");
    snprintf(place, sizeof place, "%s:4:5: unknown map character 'Z'", path);
    EXPECT_ERROR(args, place, ALLOWED_MAP_CHARS);

    /* a control character is shown as a byte */
    path = map_run(args, sizeof args, "@@@@@\n@P\tP@\n@@@@@\n");
    snprintf(place, sizeof place, "%s:2:3: unknown map character (byte 0x09)", path);
    EXPECT_ERROR(args, place, ALLOWED_MAP_CHARS);

    /* ragged rows: the line, both widths and the fix */
    path = map_run(args, sizeof args, "@@@@@\n@P.P@\n@..@\n@@@@@\n");
    snprintf(place, sizeof place, "%s:3: ragged row: 4 cells where the first row has 5", path);
    EXPECT_ERROR(args, place, "pad every row to the same width");

    /* a blank line inside the map is a ragged row too */
    path = map_run(args, sizeof args, "@@@@@\n@P.P@\n\n@@@@@\n");
    snprintf(place, sizeof place, "%s:3: ragged row: 0 cells", path);
    EXPECT_ERROR(args, place);

    /* no spawn point */
    path = map_run(args, sizeof args, "@@@@@\n@.A.@\n@@@@@\n");
    snprintf(place, sizeof place, "%s: no spawn point", path);
    EXPECT_ERROR(args, place, "'P'");

    /* empty file, and a file of comments only */
    path = map_run(args, sizeof args, "");
    snprintf(place, sizeof place, "%s:1: the map is empty", path);
    EXPECT_ERROR(args, place, "'@' wall");
    path = map_run(args, sizeof args, "; nothing but a comment\n");
    snprintf(place, sizeof place, "%s:2: the map is empty", path);
    EXPECT_ERROR(args, place);

    /* missing map file */
    EXPECT_ERROR("run --env gathering-small --set env.map=/nonexistent-dir/no-such-map.txt",
                 "env.map: cannot open map file '/nonexistent-dir/no-such-map.txt'");

    /* unknown built-in map: the list of maps and the path alternative */
    EXPECT_ERROR("run --env gathering-small --set env.map=nosuchmap",
                 "env.map: unknown map 'nosuchmap'", "built-in maps are", "gathering-small",
                 "harvest", "give a path to a map file");

    /* a map file named in a config file is checked the same way */
    path = th_write_temp("@@@@\n@PP@\n@@Q@\n", ".txt");
    char ini[512];
    snprintf(ini, sizeof ini, "[env]\nmap = %s\n", path);
    snprintf(args, sizeof args, "run --env gathering-small --config %s",
             th_write_temp(ini, ".ini"));
    snprintf(place, sizeof place, "%s:3:3: unknown map character 'Q'", path);
    EXPECT_ERROR(args, place);

    /* a good map file with CRLF line ends and a comment runs */
    map_run(args, sizeof args, "; two spawn points\r\n@@@@@\r\n@P.P@\r\n@.A.@\r\n@@@@@\r\n");
    expect_ok(args);
    expect_in(args, out, "4x5), 2 agents");
}

static void test_agents_and_presets(void **state) {
    (void)state;
    /* more agents than spawn points: the counts and the fix */
    EXPECT_ERROR("run --env gathering-small --agents 3 --set env.extra_agents=refuse",
                 "env.agents = 3", "map 'gathering-small' has only 2 spawn points",
                 "--agents 2 or fewer");

    /* unknown preset: every preset listed */
    EXPECT_ERROR("run --env nosuch", "unknown preset 'nosuch'", "presets are", "cleanup",
                 "cleanup-gallego", "harvest", "commons", "commons-meltingpot", "gathering",
                 "gathering-small", "gathering-large", "'commons maps'");
    EXPECT_ERROR("bench --env nosuch --steps 5 --repeat 1", "unknown preset 'nosuch'");
}

static void test_config_file_errors(void **state) {
    (void)state;
    char args[512], place[256];
    const char *path;

    /* unknown key: FILE:LINE: and where the keys are listed */
    path = config_run(args, sizeof args, "[env]\nagents = 2\n\n[beam]\nlenght = 3\n");
    snprintf(place, sizeof place, "%s:5: unknown key 'beam.lenght'", path);
    EXPECT_ERROR(args, place, "'commons maps --keys'");

    /* unknown section: the sections are listed */
    path = config_run(args, sizeof args, "[env]\nagents = 2\n[beem]\nlength = 3\n");
    snprintf(place, sizeof place, "%s:4: unknown section '[beem]'", path);
    EXPECT_ERROR(args, place, "sections are env, obs, beam, clean, apples, regrowth, pollution");

    /* out of range: the key and the allowed range */
    path = config_run(args, sizeof args, "[beam]\nlength = 3\nwidth = 99\n");
    snprintf(place, sizeof place, "%s:3: beam.width = 99 is out of range; allowed 1..15", path);
    EXPECT_ERROR(args, place);

    /* bad probability in a file */
    path = config_run(args, sizeof args, "[pollution]\nwaste_spawn_prob = abc\n");
    snprintf(place, sizeof place, "%s:2: pollution.waste_spawn_prob: 'abc' is not a probability",
             path);
    EXPECT_ERROR(args, place, "[0, 1]");

    /* malformed line: the accepted forms */
    path = config_run(args, sizeof args, "[beam]\nlength = 3\nthis is not ini\n");
    snprintf(place, sizeof place, "%s:3: malformed line", path);
    EXPECT_ERROR(args, place, "expected [section], key = value, or a ; comment");

    /* a key before any section */
    path = config_run(args, sizeof args, "agents = 2\n");
    snprintf(place, sizeof place, "%s:1: key 'agents' is outside any [section]", path);
    EXPECT_ERROR(args, place);

    /* preset must come first, and must exist */
    path = config_run(args, sizeof args, "[beam]\nlength = 3\n[env]\npreset = harvest\n");
    snprintf(place, sizeof place, "%s:4: env.preset must be the first key", path);
    EXPECT_ERROR(args, place);
    path = config_run(args, sizeof args, "[env]\npreset = nosuch\n");
    snprintf(place, sizeof place, "%s:2: unknown preset 'nosuch'", path);
    EXPECT_ERROR(args, place);

    /* missing config file */
    EXPECT_ERROR("run --config /nonexistent-dir/no-such.ini",
                 "/nonexistent-dir/no-such.ini: cannot open config file");

    /* a good file naming its base preset is applied */
    config_run(args, sizeof args,
               "; base preset\n[env]\npreset = gathering-small\n[beam]\n"
               "length = 3\n");
    expect_ok(args);
    expect_in(args, out, "env gathering-small (game gathering");
}

static void test_set_errors(void **state) {
    (void)state;
    const char *form = "expected section.key=value, e.g. --set beam.length=5";

    /* malformed forms: no '=', no '.', empty section, empty key */
    EXPECT_ERROR("run --set beam.length", "--set 'beam.length'", form);
    EXPECT_ERROR("run --set beamlength=3", "--set 'beamlength=3'", form);
    EXPECT_ERROR("run --set .length=3", "--set '.length=3'", form);
    EXPECT_ERROR("run --set beam.=3", "--set 'beam.=3'", form);
    EXPECT_ERROR("run --set =3", "--set '=3'", form);

    /* empty value */
    EXPECT_ERROR("run --set beam.length=", "--set 'beam.length=': empty value");

    /* unknown key and unknown section */
    EXPECT_ERROR("run --set beam.lenght=3", "--set 'beam.lenght=3'", "unknown key 'beam.lenght'",
                 "'commons maps --keys'");
    EXPECT_ERROR("run --set nosec.x=1", "unknown section '[nosec]'", "sections are env, obs");

    /* out of range and non-integer: the key and the allowed range */
    EXPECT_ERROR("run --set beam.length=999", "--set 'beam.length=999'",
                 "beam.length = 999 is out of range; allowed 0..64");
    EXPECT_ERROR("run --set beam.length=abc", "beam.length: 'abc' is not an integer",
                 "allowed 0..64");
    EXPECT_ERROR("run --set beam.length=3.5", "beam.length: '3.5' is not an integer");
    EXPECT_ERROR("run --set env.agents=99", "env.agents = 99 is out of range; allowed 1..32");

    /* bad probabilities */
    EXPECT_ERROR("run --set pollution.waste_spawn_prob=1.5",
                 "pollution.waste_spawn_prob: '1.5' is not a probability", "[0, 1]");
    EXPECT_ERROR("run --set pollution.waste_spawn_prob=-0.1",
                 "pollution.waste_spawn_prob: '-0.1' is not a probability");
    EXPECT_ERROR("run --set regrowth.probs=0,x", "regrowth.probs: 'x' is not a probability",
                 "comma-separated decimals");

    /* bad choice: the choices listed */
    EXPECT_ERROR("run --set obs.encoding=png", "obs.encoding: 'png' is not allowed",
                 "choose one of: rgb ids");
    EXPECT_ERROR("run --set env.game=chess", "choose one of: gathering harvest cleanup");

    /* even beam widths */
    EXPECT_ERROR("run --set beam.width=2", "beam.width = 2 must be odd");
    EXPECT_ERROR("run --set clean.width=4", "clean.width = 4 must be odd");

    /* the preset is chosen with --env */
    EXPECT_ERROR("run --set env.preset=harvest", "choose the preset with --env");
}

static void test_option_errors(void **state) {
    (void)state;
    /* no command, unknown command */
    EXPECT_ERROR("", "usage: commons <command>");
    EXPECT_ERROR("frobnicate", "unknown command 'frobnicate'", "usage: commons <command>");

    /* unknown option, stray argument, option missing its value, flag given a value */
    EXPECT_ERROR("run --frob", "unknown option '--frob'", "see --help");
    EXPECT_ERROR("compare --policy greedy", "unknown option '--policy'");
    EXPECT_ERROR("maps --frob", "unknown option '--frob'", "'commons maps --help'");
    EXPECT_ERROR("run extra", "unexpected argument 'extra'");
    EXPECT_ERROR("run --env", "--env needs a value");
    EXPECT_ERROR("run --seed", "--seed needs a value");
    EXPECT_ERROR("run --json=1", "--json takes no value");

    /* counts out of range or not integers: the option and the allowed range */
    EXPECT_ERROR("run --episodes 0", "--episodes: 0 is out of range; allowed 1..1000000");
    EXPECT_ERROR("run --episodes=0", "--episodes: 0 is out of range");
    EXPECT_ERROR("run --seed -1", "--seed: -1 is out of range; allowed 0..");
    EXPECT_ERROR("run --agents 99", "--agents: 99 is out of range; allowed 1..32");
    EXPECT_ERROR("run --agents abc", "--agents: 'abc' is not an integer", "1..32");
    EXPECT_ERROR("run --steps 0", "--steps: 0 is out of range");
    EXPECT_ERROR("bench --batch 0", "--batch: 0 is out of range; allowed 1..4096");
    EXPECT_ERROR("bench --repeat 0", "--repeat: 0 is out of range; allowed 1..1000");

    /* policies: unknown name, wrong count */
    EXPECT_ERROR("run --policy nosuch", "unknown policy 'nosuch'", "random, greedy or coop");
    EXPECT_ERROR("compare --policies greedy,nosuch", "unknown policy 'nosuch'");
    EXPECT_ERROR("run --env harvest --policy greedy,coop", "2 policies for 5 agents",
                 "one for all agents or exactly one per agent");

    /* maps: unknown name, two names */
    EXPECT_ERROR("maps nosuch", "no map or preset named 'nosuch'", "'commons maps'");
    EXPECT_ERROR("maps harvest gathering", "maps takes one name");
}

/* inputs that once slipped through or were reported at the wrong place */
static void test_fixed_defects(void **state) {
    (void)state;
    char args[512], place[256];
    const char *path;
    /* directories given as files */
    EXPECT_ERROR("run --config /tmp", "/tmp: cannot read config file: Is a directory");
    EXPECT_ERROR("run --env gathering-small --set env.map=/tmp",
                 "cannot read map file '/tmp': Is a directory");
    /* a section header without ']' is reported on its own line, before later errors */
    path = config_run(args, sizeof args, "[beam\nlength = 3\n");
    snprintf(place, sizeof place, "%s:1: malformed section header '[beam'", path);
    EXPECT_ERROR(args, place, "expected [section]");
    path = config_run(args, sizeof args, "[env]\nagents = 2\n[beam\nlength = 3\n");
    snprintf(place, sizeof place, "%s:3: malformed section header", path);
    EXPECT_ERROR(args, place);
    /* the first of two errors wins, with its own line */
    path = config_run(args, sizeof args, "[beam]\nbogus line\nlenght = 3\n");
    snprintf(place, sizeof place, "%s:2: malformed line 'bogus line'", path);
    EXPECT_ERROR(args, place);
    path = config_run(args, sizeof args, "[beam]\nlenght = 3\nbogus line\n");
    snprintf(place, sizeof place, "%s:2: unknown key 'beam.lenght'", path);
    EXPECT_ERROR(args, place);
    /* empty policy lists and entries */
    EXPECT_ERROR("compare --policies ''", "--policies: entry 1 of '' is empty");
    EXPECT_ERROR("compare --policies ,", "--policies: entry 1 of ',' is empty");
    EXPECT_ERROR("run --policy greedy,,coop", "--policy: entry 2 of 'greedy,,coop' is empty");
    /* bench names its own option, and prints nothing before an error */
    EXPECT_ERROR("bench --encoding png", "--encoding: 'png' is not allowed; choose rgb or ids");
    assert_null(strstr(out, "agent-steps/s"));
    EXPECT_ERROR("bench --env harvest,nosuch", "unknown preset 'nosuch'");
    assert_null(strstr(out, "agent-steps/s"));
    /* the two thresholds are named with their values */
    EXPECT_ERROR("run --env cleanup --set pollution.restoration=0.9",
                 "pollution.restoration = 0.9 must be below pollution.depletion = 0.4");
}

static void test_help(void **state) {
    (void)state;
    /* the tool's and every command's help */
    static const char *const cmds[] = {"run", "compare", "bench", "maps"};
    char args[64], want[64];
    expect_ok("--help");
    expect_in("--help", out, "usage: commons <command>");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        snprintf(args, sizeof args, "%s --help", cmds[i]);
        snprintf(want, sizeof want, "usage: commons %s", cmds[i]);
        expect_ok(args);
        expect_in(args, out, want);
    }
}

/* the 16 hex digits after "final state hash ", copied into hash */
static void final_hash(const char *args, char *hash) {
    const char *h = strstr(out, "final state hash ");
    if (!h) fail_msg("commons %s: no final state hash in:\n%s", args, out);
    h += strlen("final state hash ");
    for (int i = 0; i < 16; i++)
        if (!isxdigit((unsigned char)h[i]))
            fail_msg("commons %s: final state hash is not 16 hex digits:\n%s", args, out);
    assert_true(h[16] == '\n');
    memcpy(hash, h, 16);
    hash[16] = 0;
}

static void test_run(void **state) {
    (void)state;
    static char first[sizeof out];
    const char *args = "run --env harvest --episodes 2 --seed 3";
    char hash[17], want[64];

    /* two episode rows, a mean row and the final hash */
    expect_ok(args);
    expect_in(args, out, "env harvest (game harvest, map harvest");
    expect_in(args, out, "\n      0 ");
    expect_in(args, out, "\n      1 ");
    assert_null(strstr(out, "\n      2 "));
    expect_in(args, out, "\n   mean ");
    final_hash(args, hash);

    /* the same command gives the same output */
    memcpy(first, out, sizeof out);
    expect_ok(args);
    assert_string_equal(first, out);

    /* --json holds the episodes and the same final hash */
    expect_ok("run --env harvest --episodes 2 --seed 3 --json");
    expect_in("--json", out, "\"episodes\": [");
    snprintf(want, sizeof want, "\"final_hash\": \"%s\"", hash);
    expect_in("--json", out, want);

    /* one policy per agent */
    args = "run --env harvest --steps 100 --policy greedy,coop,random,greedy,coop";
    expect_ok(args);
    expect_in(args, out, "policies: greedy coop random greedy coop\n");
    final_hash(args, hash);
}

static void test_maps(void **state) {
    (void)state;
    static const char *const presets[] = {"cleanup",         "cleanup-gallego",    "harvest",
                                          "commons",         "commons-meltingpot", "gathering",
                                          "gathering-small", "gathering-large"};
    char want[64];

    /* the listing names every preset */
    expect_ok("maps");
    expect_in("maps", out, "maps:\n");
    const char *list = strstr(out, "presets:\n");
    if (!list) fail_msg("commons maps: no presets section in:\n%s", out);
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        snprintf(want, sizeof want, "\n  %s ", presets[i]);
        expect_in("maps", list, want);
    }

    /* a preset's effective INI */
    expect_ok("maps harvest");
    expect_in("maps harvest", out, "; effective config (preset 'harvest')");
    expect_in("maps harvest", out, "[env]\ngame = harvest\n");
    expect_in("maps harvest", out, "[beam]\n");

    /* every key with its range */
    expect_ok("maps --keys");
    expect_in("maps --keys", out, "beam.length");
    expect_in("maps --keys", out, "0..64");
    expect_in("maps --keys", out, "pollution.waste_spawn_prob");
}

static void test_bench(void **state) {
    (void)state;
    /* one small bench row: encoding and observation shape */
    const char *args = "bench --env harvest --steps 50 --repeat 1 --batch 2";
    expect_ok(args);
    const char *row = strstr(out, "\nharvest ");
    if (!row) fail_msg("commons %s: no harvest row in:\n%s", args, out);
    expect_in(args, row, "rgb");
    expect_in(args, row, "15x15x3");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_errors),
        cmocka_unit_test(test_agents_and_presets),
        cmocka_unit_test(test_config_file_errors),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_maps),
        cmocka_unit_test(test_bench),
        cmocka_unit_test(test_fixed_defects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
