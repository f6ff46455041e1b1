// Everything weft offers, in one include.
#pragma once

#include "weft/atomic.hpp"
#include "weft/callbacks.hpp"
#include "weft/channel.hpp"
#include "weft/error.hpp"
#include "weft/local.hpp"
#include "weft/scheduler.hpp"
#include "weft/select.hpp"
#include "weft/spawn_on.hpp"
#include "weft/sync.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"
