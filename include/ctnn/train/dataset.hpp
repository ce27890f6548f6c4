// Forwarding header: the contents live in ctnn/data/dataset.hpp; this path keeps existing includes working.
#pragma once
#include <ctnn/data/dataset.hpp>
