/* games.c: the table from EnvGame to each game's ops (game.h). The one place outside the game
 * files that names the games; the core reaches a game only through env_game_ops. */
#include "game.h"

const EnvGameOps *env_game_ops(EnvGame g) {
    switch (g) {
    case ENV_GAME_HARVEST:
        return &env_harvest_ops;
    case ENV_GAME_CLEANUP:
        return &env_cleanup_ops;
    case ENV_GAME_OCEAN:
        return &env_ocean_ops;
    case ENV_GAME_TRAGEDY:
        return &env_tragedy_ops;
    default:
        return &env_gathering_ops;
    }
}
