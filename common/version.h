/* version.h - the one version string of every program (/health, --version). */
#ifndef SYNC_VERSION_H
#define SYNC_VERSION_H

#define SYNC_VERSION "1.0.0"

#endif
