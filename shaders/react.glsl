// react returns cell x after one explicit Euler step, given its eight
// neighbours: north-west, north, north-east, west, east, south-west, south,
// south-east. The arithmetic is sim.Reference's, in its order: the
// Laplacian with the course's weights [[.25,.5,.25],[.5,0,.5],[.25,.5,.25]],
// then du = Du·lap − u·v² + F(1 − u), dv = Dv·lap + u·v² − (F + k)·v,
// x + d·dt. Everything is precise: no fused multiply-add, no reordering.
// Included after the uniforms feed, kill, dt, du and dv.
vec2 react(vec2 x, vec2 nw, vec2 n, vec2 ne, vec2 w, vec2 e, vec2 sw, vec2 s, vec2 se) {
    precise vec2 l = 0.25 * (nw - x);
    l += 0.5 * (n - x);
    l += 0.25 * (ne - x);
    l += 0.5 * (w - x);
    l += 0.5 * (e - x);
    l += 0.25 * (sw - x);
    l += 0.5 * (s - x);
    l += 0.25 * (se - x);
    float u = x.x;
    float v = x.y;
    precise float uv2 = u * v * v;
    precise float du_dt = du * l.x - uv2 + feed * (1.0 - u);
    precise float dv_dt = dv * l.y + uv2 - (feed + kill) * v;
    precise vec2 next = vec2(u + du_dt * dt, v + dv_dt * dt);
    return next;
}
