// Forwarding header: the contents live in ctnn/plot/plot.hpp; this path keeps existing includes working.
#pragma once
#include <ctnn/plot/plot.hpp>
