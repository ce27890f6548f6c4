// Forwarding header: the contents live in ctnn/data/datasets.hpp; this path keeps existing includes working.
#pragma once
#include <ctnn/data/datasets.hpp>
