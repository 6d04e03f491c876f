// The simulation's fields as the shaders see them: U and V interleaved
// (vec2: x is U, y is V), rows×cols cells inside a one-cell halo, so that
// cell (r, c) is element (r + 1)·(cols + 2) + c + 1 and every neighbour of
// every cell exists: the stencil reads without edge tests. The halo holds
// what the stencil reads outside the grid: zeros for BOUNDARY 0 (never
// written), the opposite edge for 1 (periodic), the nearest edge cell for
// 2 (neumann). put() keeps it so as it writes a cell: a cell on the edge
// also writes the halo elements that mirror it, so one dispatch per step
// suffices. Included (#include) after the uniforms rows and cols and, for
// put(), a definition of FIELD, the buffer array written.

int at(int r, int c) { return (r + 1) * (cols + 2) + c + 1; }

#ifdef FIELD
void put(int r, int c, vec2 x) {
    FIELD[at(r, c)] = x;
#if BOUNDARY != 0
    if (r > 0 && r < rows - 1 && c > 0 && c < cols - 1) {
        return;
    }
#if BOUNDARY == 1
    // Periodic: the last row is read above the first, the first below the last.
    bool above = r == rows - 1, below = r == 0, before = c == cols - 1, after = c == 0;
#else
    // Neumann: the edge cell is read past its own edge.
    bool above = r == 0, below = r == rows - 1, before = c == 0, after = c == cols - 1;
#endif
    int rs[3] = int[3](r, above ? -1 : r, below ? rows : r);
    int cs[3] = int[3](c, before ? -1 : c, after ? cols : c);
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            FIELD[at(rs[i], cs[j])] = x;
        }
    }
#endif
}
#endif
