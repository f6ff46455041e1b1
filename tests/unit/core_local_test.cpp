// tasklet_local<T>: one value per tasklet, destroyed when its tasklet finishes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "weft/channel.hpp"
#include "weft/local.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

namespace {

struct tracked {
  static inline int alive = 0;
  static inline std::vector<int> destroyed;
  int value = 0;
  tracked() { ++alive; }
  ~tracked() {
    --alive;
    destroyed.push_back(value);
  }
};

TEST(CoreLocal, SeparatePerTasklet) {
  weft::tasklet_local<int> counter;
  std::vector<int> seen;
  for (int i = 1; i <= 3; ++i)
    weft::spawn([&, i] {
      EXPECT_FALSE(counter.has_value());
      EXPECT_EQ(*counter, 0);  // value-initialised
      EXPECT_TRUE(counter.has_value());
      for (int k = 0; k < i; ++k) {
        ++*counter;
        weft::schedule();  // the others change theirs meanwhile
      }
      seen.push_back(counter.get() * 10 + i);
    });
  weft::run();
  EXPECT_EQ(seen, (std::vector<int>{11, 22, 33}));
}

TEST(CoreLocal, MainHasItsOwnValue) {
  weft::tasklet_local<std::string> name;
  name.get() = "main's";
  std::string inner;
  weft::spawn([&] {
    inner = name.get();
    name.get() = "tasklet's";
  });
  weft::run();
  EXPECT_EQ(inner, "");
  EXPECT_EQ(name.get(), "main's");
}

TEST(CoreLocal, DestroyedWhenTheTaskletFinishes) {
  tracked::alive = 0;
  tracked::destroyed.clear();
  weft::tasklet_local<tracked> loc;
  weft::channel<int> ch;
  weft::tasklet a = weft::spawn([&] {
    loc->value = 1;
    ch.receive();
  });
  weft::tasklet b = weft::spawn([&] {
    loc->value = 2;
    ch.receive();
  });
  weft::spawn([&] { (void)loc.has_value(); });  // never touches its value
  weft::run();
  EXPECT_EQ(tracked::alive, 2);
  ch.send(0);  // a finishes
  weft::run();
  EXPECT_EQ(tracked::alive, 1);
  EXPECT_EQ(tracked::destroyed, (std::vector<int>{1}));
  b.kill();  // a killed tasklet's locals are destroyed too
  EXPECT_EQ(tracked::alive, 0);
  EXPECT_EQ(tracked::destroyed, (std::vector<int>{1, 2}));
}

TEST(CoreLocal, DenseTaskletsToo) {
  weft::tasklet_local<int> v;
  int bad = 0;
  for (int i = 0; i < 50; ++i)
    weft::spawn(weft::spawn_options{.stack = weft::stack_kind::dense}, [&, i] {
      v.get() = i;
      weft::schedule();
      if (v.get() != i) ++bad;
    });
  weft::run();
  EXPECT_EQ(bad, 0);
}

TEST(CoreLocal, SeveralLocalsAreIndependent) {
  weft::tasklet_local<int> x;
  weft::tasklet_local<int> y;
  weft::spawn([&] {
    *x = 1;
    EXPECT_FALSE(y.has_value());
    *y = 2;
    EXPECT_EQ(*x, 1);
  });
  weft::run();
}

}  // namespace
